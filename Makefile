# Brinkwatch: `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BUILT  := $(VENV)/.compiled
# The tagging modules that setup.py compiles with Cython (pipeline.tagging.COMPILED_MODULES).
COMPILED_SOURCES := $(addprefix pipeline/tagging/,text.py countries.py entities.py escalation.py) \
                    $(wildcard pipeline/tagging/*.pxd)
DATA   ?= ../shared/data
ONCE   ?=
PYTEST_ARGS ?=

.PHONY: help install build run test test-unit test-integration lint typecheck check bench bench-quick eval clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (set PYTHON=...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## Create .venv and install the project with its dev tools

# The install compiles the taggers; this recompiles those whose source changed since.
$(BUILT): $(STAMP) setup.py $(COMPILED_SOURCES)
	$(BIN)/python setup.py --quiet build_ext --inplace
	touch $(BUILT)

build: $(BUILT)  ## Compile the taggers again after their source changed (BRINKWATCH_NO_EXTENSIONS=1: don't)

run: $(BUILT)  ## Broker + topics + worker + feed of seeds/, printing events and alerts (ONCE=1: exit when done)
	$(BIN)/brinkwatch run seeds $(if $(ONCE),--once,)

test: $(BUILT)  ## The whole test suite (integration tests start their own broker)
	$(BIN)/pytest -q $(PYTEST_ARGS)

test-unit: $(BUILT)  ## Unit tests only (no broker)
	$(BIN)/pytest -q tests/unit $(PYTEST_ARGS)

test-integration: $(BUILT)  ## Integration tests only
	$(BIN)/pytest -q tests/integration $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff
	$(BIN)/ruff check pipeline tests setup.py

typecheck: $(STAMP)  ## mypy --strict
	$(BIN)/mypy pipeline setup.py

check: lint typecheck  ## ruff and mypy

bench: $(BUILT)  ## The benchmark, side by side with its ceiling (see README)
	$(BIN)/brinkwatch bench

bench-quick: $(BUILT)  ## A small benchmark run (what CI runs)
	$(BIN)/brinkwatch bench --quick

eval: $(BUILT)  ## Score the taggers on the development sets in DATA (default ../shared/data)
	$(BIN)/brinkwatch eval countries --data $(DATA)/reuters21578-dev.jsonl --gold-field countries_modern --exclude US
	$(BIN)/brinkwatch eval entities --data $(DATA)/conll2003-dev.jsonl
	$(BIN)/brinkwatch eval escalation --data $(DATA)/cameo-sentences-dev.jsonl

clean:  ## Remove the virtualenv and run state
	rm -rf $(VENV) build pipeline/tagging/*.so .run .pytest_cache .mypy_cache .ruff_cache .hypothesis
