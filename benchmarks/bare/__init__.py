"""A bare Django + DRF project: the memory yardstick for a web worker (see settings)."""

# The scratch table the bare project reads: a copy of the product rows made by run.py.
TABLE = "bench_bare_product"
