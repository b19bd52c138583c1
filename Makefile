# Xinglin: `make run` serves the whole system with demo data; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
RUN_ENV := DEBUG=true
PYTEST_WORKERS ?= 2

.PHONY: run test lint typecheck bench install install-dev migrate seed screenshots clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(VENV)/bin/activate
	$(PIP) install --quiet ".[dev]"
	@touch $@

install install-dev: $(VENV)/.installed

migrate: install
	$(RUN_ENV) $(PY) manage.py migrate --noinput

seed: migrate
	$(RUN_ENV) $(PY) manage.py seed_demo

# Web, Celery worker and beat on the embedded default (SQLite in WAL mode, filesystem broker).
# Ctrl-C stops all three (core/management/commands/run_demo.py); exec, so that make's own
# child is the command that stops them.
run: seed
	@$(RUN_ENV) $(PY) manage.py demo_logins
	@exec env $(RUN_ENV) $(PY) manage.py run_demo --addr 127.0.0.1:8000

test: install-dev
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install-dev
	DEBUG=true $(VENV)/bin/mypy .

bench: install-dev
	$(PY) benchmarks/run.py

# The README's pictures, taken from a running `make run` (Debian's chromium; see tools/).
screenshots: install-dev
	$(RUN_ENV) $(PY) tools/screenshots.py --base-url http://127.0.0.1:8000

clean:
	rm -rf var/ .pytest_cache .mypy_cache .ruff_cache
