"""Benchmarks of the shop against bare baselines measured in the same run (`make bench`)."""
