# Everything runs from .venv, created on first use from PyPI only, from the committed lock
# (requirements/*.txt, with hashes). `make lock` refreshes the lock on purpose; `make test-latest`
# tries the newest versions pyproject.toml allows, so drift is found deliberately, not by surprise.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV     := $(BIN)/uv
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed
EXAMPLES := examples/quickstart.yaml examples/llama-finetune.yaml examples/local.yaml examples/review/main.yaml examples/review/pr.yaml
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --quiet
# actionlint is a Go program (its PyPI package downloads from GitHub at build time): built from the
# Go module proxy, pinned, into a cache outside the work tree. The workflow tests skip without it;
# .ci/run builds it first and makes its absence a failure.
ACTIONLINT_VERSION := v1.7.12
TOOLS_BIN ?= $(HOME)/.cache/runctl/bin
ACTIONLINT := $(TOOLS_BIN)/actionlint-$(ACTIONLINT_VERSION)

.PHONY: demo test test-latest lint bench format lock clean actionlint engine-cli test-engine

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# uv itself comes from PyPI, pinned with hashes, into the venv: the README's two commands stay the whole set-up.
$(UV): requirements/uv.txt | $(BIN)/python
	$(BIN)/python -m pip install -q --disable-pip-version-check --require-hashes --no-deps -r requirements/uv.txt
	touch $@

$(RUNTIME_STAMP): requirements/runtime.txt pyproject.toml | $(UV)
	$(UV) pip sync -q --python $(BIN)/python requirements/runtime.txt
	$(UV) pip install -q --python $(BIN)/python --no-deps -e .
	rm -f $(DEV_STAMP)
	touch $@

$(DEV_STAMP): requirements/dev.txt pyproject.toml | $(UV)
	$(UV) pip sync -q --python $(BIN)/python requirements/dev.txt
	$(UV) pip install -q --python $(BIN)/python --no-deps -e .
	touch $@ $(RUNTIME_STAMP)

## demo: install runctl and run it on the examples (no AWS account needed); the last step reviews a
## pull request: examples/review/main.yaml against pr.yaml, the same spec as a PR edits it
demo: $(RUNTIME_STAMP)
	$(BIN)/runctl validate $(EXAMPLES)
	$(BIN)/runctl plan examples/llama-finetune.yaml --stack dev
	$(BIN)/runctl plan examples/quickstart.yaml --stack ci --output markdown
	$(BIN)/runctl diff examples/review/main.yaml examples/review/pr.yaml

## test: the whole suite, with the locked versions
test: $(DEV_STAMP)
	RUNCTL_ACTIONLINT=$(ACTIONLINT) $(BIN)/python -m pytest -n 2 -q

## actionlint: build the pinned actionlint into $(TOOLS_BIN) (needs Go; instant once built)
actionlint: $(ACTIONLINT)

$(ACTIONLINT):
	mkdir -p $(TOOLS_BIN)/.actionlint-build
	GOBIN=$(TOOLS_BIN)/.actionlint-build go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)
	mv $(TOOLS_BIN)/.actionlint-build/actionlint $@
	rmdir $(TOOLS_BIN)/.actionlint-build

# The Pulumi CLI, built from its Go module (tools/pulumi-cli/build.sh) into a cache outside the
# work tree, shared by every clone; nothing is rebuilt while the binary exists.
PULUMI_VERSION := v3.274.1
ENGINE_CACHE   ?= $(HOME)/.cache/runctl
PULUMI_CLI     := $(ENGINE_CACHE)/pulumi-$(PULUMI_VERSION)/pulumi
ENGINE_PLUGINS := $(CURDIR)/tests/engine/standin/bin

## engine-cli: build the Pulumi CLI from its Go module (needs Go and the Go module proxy)
engine-cli: $(PULUMI_CLI)

$(PULUMI_CLI):
	tools/pulumi-cli/build.sh $(PULUMI_VERSION) $(dir $@)

## test-engine: the engine-marked tests through that CLI, a stand-in AWS plugin and a moto server
test-engine: $(DEV_STAMP) $(PULUMI_CLI)
	PATH="$(dir $(PULUMI_CLI)):$(ENGINE_PLUGINS):$$PATH" RUNCTL_REQUIRE_ENGINE=1 \
		$(BIN)/python -m pytest -n 2 -q -m engine

## test-latest: the whole suite with the newest versions pyproject.toml allows (in .venv-latest)
test-latest: | $(UV)
	$(UV) venv -q --allow-existing --python $(PYTHON) .venv-latest
	$(UV) pip install -q --python .venv-latest/bin/python --upgrade -e '.[dev]'
	.venv-latest/bin/python -m pytest -n 2 -q

## lint: ruff, mypy and the import layers (import-linter contracts in pyproject.toml)
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## lock: re-resolve the lock from pyproject.toml's ranges (commit the result after make test passes)
lock: | $(UV)
	$(UV) pip compile $(LOCK_FLAGS) --upgrade -o requirements/runtime.txt pyproject.toml
	$(UV) pip compile $(LOCK_FLAGS) --upgrade --extra dev -o requirements/dev.txt pyproject.toml
	$(UV) pip compile $(LOCK_FLAGS) --upgrade -o requirements/uv.txt requirements/uv.in

## bench: the performance suite (prints figures; not a pass/fail test)
bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .venv-latest .pytest_cache .mypy_cache .ruff_cache
