# paperwire — the two commands of the README are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: install install-test run test lint check bench chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade "pip>=24"

# Installs the pinned versions of constraints.txt; re-runs when either file changes.
$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install -q -c constraints.txt -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -c constraints.txt -e ".[test]"
	@touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	$(BIN)/paperwire serve --port $(PORT)

# Debian's chromium for the browser tests, installed when missing and we are root.
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else echo "chromium is missing: install Debian's chromium package to run the browser tests"; fi; \
	fi

lint: install-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# Two processes, one a core, each taking whole files (a file's servers start once), in
# the order tests/conftest.py gives them (the longest first), not by their number of tests.
test: install-test chromium lint
	$(BIN)/pytest -q -n 2 --dist loadfile --no-loadscope-reorder --durations=25

# Each benchmark also runs alone; see docs/benchmarks.md for the latest figures.
# bench/load.py needs wrk (Debian: apt-get install wrk).
bench: install-test
	$(BIN)/pip install -q -c constraints.txt -e ".[test,bench]"
	$(BIN)/python bench/feed.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/digest.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/faults.py
	$(BIN)/python bench/foryou.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
