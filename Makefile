# Brinkwatch: `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   ?= ../shared/data
ONCE   ?=
PYTEST_ARGS ?=

.PHONY: help install run test test-unit test-integration lint typecheck check bench bench-quick eval clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (set PYTHON=...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## Create .venv and install the project with its dev tools

run: $(STAMP)  ## Broker + topics + worker + feed of seeds/, printing events and alerts (ONCE=1: exit when done)
	$(BIN)/brinkwatch run seeds $(if $(ONCE),--once,)

test: $(STAMP)  ## The whole test suite (integration tests start their own broker)
	$(BIN)/pytest -q $(PYTEST_ARGS)

test-unit: $(STAMP)  ## Unit tests only (no broker)
	$(BIN)/pytest -q tests/unit $(PYTEST_ARGS)

test-integration: $(STAMP)  ## Integration tests only
	$(BIN)/pytest -q tests/integration $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff
	$(BIN)/ruff check pipeline tests

typecheck: $(STAMP)  ## mypy --strict
	$(BIN)/mypy pipeline

check: lint typecheck  ## ruff and mypy

bench: $(STAMP)  ## The benchmark, side by side with its ceiling (see README)
	$(BIN)/brinkwatch bench

bench-quick: $(STAMP)  ## A small benchmark run (what CI runs)
	$(BIN)/brinkwatch bench --quick

eval: $(STAMP)  ## Score the taggers on the development sets in DATA (default ../shared/data)
	$(BIN)/brinkwatch eval countries --data $(DATA)/reuters21578-dev.jsonl --gold-field countries_modern --exclude US
	$(BIN)/brinkwatch eval entities --data $(DATA)/conll2003-dev.jsonl
	$(BIN)/brinkwatch eval escalation --data $(DATA)/cameo-sentences-dev.jsonl

clean:  ## Remove the virtualenv and run state
	rm -rf $(VENV) .run .pytest_cache .mypy_cache .ruff_cache .hypothesis
