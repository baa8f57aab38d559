# The two commands of the README:  make run  /  make test
# Both create .venv on first use (Python 3.12 from .python-version via pyenv).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.12 2>/dev/null || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test test-fast fuzz install browser-deps redis-deps demo-data bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install --python $(BIN)/python -q -e ".[test,ray]"
	@touch $(STAMP)

install: $(STAMP)

demo-data: $(STAMP)
	@$(BIN)/rbts data ls >/dev/null 2>&1 && $(BIN)/rbts data ls | grep -q AAPL || $(BIN)/rbts data demo

# Start the app on the synthetic demo data (created on first use).
run: demo-data
	$(BIN)/rbts ui

# Chromium for the real-browser tests (Debian package; needs root or sudo).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

# redis-server for the Redis state tests (Debian package; the tests start their own on 127.0.0.1).
redis-deps:
	@command -v redis-server >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq redis-server >/dev/null; }

test: $(STAMP) browser-deps redis-deps
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -m "not slow and not browser" $(PYTEST_ARGS)

# The fuzzers at full budget (>= 100,000 rule files, 30,000 JSON forms, 1,000 CSV imports, 400 command
# lines; issue #13), one process; prints the counts and writes test-artifacts/fuzz-counts.json.
fuzz: $(STAMP)
	RBTS_FUZZ=full $(BIN)/python -m pytest tests/fuzz -p no:xdist -p no:cacheprovider -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis test-artifacts
