# Everything runs from .venv, created on first use from PyPI only.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed
EXAMPLES := examples/quickstart.yaml examples/llama-finetune.yaml examples/local.yaml

.PHONY: demo test lint bench format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(RUNTIME_STAMP)

## demo: install runctl and run it on the examples (no AWS account needed)
demo: $(RUNTIME_STAMP)
	$(BIN)/runctl validate $(EXAMPLES)
	$(BIN)/runctl plan examples/llama-finetune.yaml --stack dev
	$(BIN)/runctl plan examples/quickstart.yaml --stack ci --output markdown
	$(BIN)/runctl diff examples/quickstart.yaml examples/llama-finetune.yaml

## test: the whole suite
test: $(DEV_STAMP)
	$(BIN)/python -m pytest -n 2 -q

## lint: ruff and mypy
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: the performance suite (prints figures; not a pass/fail test)
bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
