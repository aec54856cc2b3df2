# The two commands of the README, and a few helpers. Everything runs from .venv (made by scripts/setup.sh).
JOBFEED := .venv/bin/jobfeed
PYTEST  := .venv/bin/pytest

.PHONY: setup run demo test test-fast stack-up stack-down logs clean

setup:            ## create .venv and install everything (PyPI only)
	@bash scripts/setup.sh

run: setup        ## start the local stack and import every feed in feeds.yaml once
	@$(JOBFEED) stack up
	@$(JOBFEED) import

demo: setup       ## import the bundled sample feeds from a local HTTP server (no internet needed)
	@$(JOBFEED) stack up
	@$(JOBFEED) demo

test: setup       ## the whole test suite on real local servers (what CI runs)
	@$(PYTEST) -q

test-fast: setup  ## unit tests only
	@$(PYTEST) -q tests/unit

stack-up: setup
	@$(JOBFEED) stack up

stack-down:
	@$(JOBFEED) stack down

logs:
	@$(JOBFEED) logs

clean: stack-down ## stop the stack and delete local state (.jobfeed/)
	rm -rf .jobfeed
