# The two commands of the README, and a few helpers. Everything runs from .venv (made by scripts/setup.sh).
JOBFEED := .venv/bin/jobfeed
PYTEST  := .venv/bin/pytest

.PHONY: setup run demo test test-fast fuzz soak lint format stack-up stack-down logs clean dashboard api bench bench-export bench-scale postman screenshots

setup:            ## create .venv and install everything (PyPI only)
	@bash scripts/setup.sh

# run/demo: the last line says what the import did; make answers 0 when it ran (failed feeds included) and
# its own "Error" (exit 2) when a step could not run (scripts/run_import.sh; README "Exit codes").
run: setup        ## start the local stack and import every feed in feeds.yaml once
	@$(JOBFEED) stack up
	@bash scripts/run_import.sh import

demo: setup       ## import the bundled sample feeds from a local HTTP server (no internet needed)
	@$(JOBFEED) stack up
	@bash scripts/run_import.sh demo

test:             ## set up (incl. Debian's chromium) and run the whole suite on real local servers (CI)
	@bash scripts/setup.sh --browser
	@$(PYTEST) -q

lint: setup       ## ruff (lint + format check) and mypy (strict on the vocabulary and the store)
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .
	@.venv/bin/mypy

format: setup     ## apply ruff's fixes and formatting
	@.venv/bin/ruff check --fix .
	@.venv/bin/ruff format .

test-fast: setup  ## unit tests only
	@$(PYTEST) -q tests/unit

fuzz: setup       ## schemathesis on every API route, 3 auth modes, FUZZ_EXAMPLES per operation (default 200)
	@FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} $(PYTEST) -q -s -p no:cacheprovider tests/api/test_fuzz.py

dashboard: setup  ## the admin dashboard on http://127.0.0.1:8501
	@$(JOBFEED) dashboard

api: setup        ## the read API on http://127.0.0.1:8000 (OpenAPI at /docs)
	@$(JOBFEED) api

screenshots: setup ## regenerate docs/img/*.png from `make demo` data: dashboard pages and the Prefect flow run (Chromium)
	@bash scripts/setup.sh --browser
	@.venv/bin/python scripts/screenshots.py

postman: setup    ## regenerate docs/api/jobfeed.postman_collection.json from the API's OpenAPI
	@.venv/bin/python -m jobfeed.api.postman

bench: setup      ## benchmark jobfeed vs a no-Prefect baseline on private local servers (~12 min; BENCH_ARGS=--quick)
	@.venv/bin/python -m bench.run $(BENCH_ARGS)
	@# export of 20k vs 200k jobs, peak RSS (Parquet: the pyarrow path); all formats: make bench-export
	@if [ -z "$(BENCH_ARGS)" ]; then .venv/bin/python -m bench.export_memory --formats parquet; fi

soak: setup       ## chaos soak: 30 imports of 20 changing, faulty feeds while servers are killed (-9); ~10 min
	@.venv/bin/python -m bench.soak $(SOAK_ARGS)

bench-scale: setup ## cost curve 1k..1M items + locust on the largest db (hours; BENCH_ARGS="--max 100k" to run small)
	@.venv/bin/pip install -q -e '.[bench]'
	@.venv/bin/python -m bench.scale $(BENCH_ARGS)

bench-export: setup ## export memory: peak RSS of `jobfeed export` for 20k vs 200k jobs, csv/parquet/jsonl
	@.venv/bin/python -m bench.export_memory

stack-up: setup
	@$(JOBFEED) stack up

stack-down:
	@$(JOBFEED) stack down

logs:
	@$(JOBFEED) logs

clean: stack-down ## stop the stack and delete local state (.jobfeed/)
	rm -rf .jobfeed
