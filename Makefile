# The one entry point: CI calls the same targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.9
export SOMONNOY_SHARED_DIR ?= $(abspath ../shared)

.PHONY: help venv run test test-unit test-integration lint fmt migrate stop clean distclean openapi \
        bench-relay bench-registry bench-matching k8s

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	@$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock
	@$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP) ## create .venv with the pinned dependencies

run: $(STAMP) ## start everything (PostgreSQL, broker, services, gateway), load demo data, print URLs
	@$(BIN)/somonnoy run

test: $(STAMP) ## lint, then every test against the real PostgreSQL and broker
	@$(BIN)/ruff check .
	@$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

test-unit: $(STAMP) ## pure tests only (no database, no broker)
	@$(BIN)/pytest -q tests/unit $(PYTEST_ARGS)

test-integration: $(STAMP) ## integration and end-to-end tests
	@$(BIN)/pytest -q tests/integration tests/e2e $(PYTEST_ARGS)

lint: $(STAMP) ## ruff
	@$(BIN)/ruff check .

fmt: $(STAMP) ## ruff format and import order
	@$(BIN)/ruff check --fix --select I .
	@$(BIN)/ruff format .

migrate: $(STAMP) ## apply every service's migrations (starts the local PostgreSQL unless DATABASE_URL is set)
	@$(BIN)/somonnoy migrate

stop: $(STAMP) ## stop what `make run` started
	@$(BIN)/somonnoy stop

clean: ## stop and delete local state (.run: databases, logs, generated config) and caches
	@if [ -x $(BIN)/somonnoy ]; then $(BIN)/somonnoy clean; else rm -rf .run; fi
	@find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	@rm -rf .pytest_cache .ruff_cache

distclean: clean ## clean, and remove the virtualenv too
	@rm -rf $(VENV)

openapi: $(STAMP) ## write the merged OpenAPI document to openapi.json
	@$(BIN)/python -m services.gateway.openapi_export > openapi.json && echo "wrote openapi.json"

bench-relay: $(STAMP) ## outbox relay throughput (events/s) through the real broker; prints JSON
	@$(BIN)/python -m benchmarks.bench_relay

bench-registry: $(STAMP) ## bulk import of the 1M labelled file through the HTTP API, GET latency; prints JSON
	@$(BIN)/python -m benchmarks.bench_registry

bench-matching: $(STAMP) ## matching engine on the 1M labelled file; prints JSON
	@$(BIN)/python benchmarks/bench_matching.py

k8s: $(STAMP) ## render the Kubernetes manifests' routes from the routes file and validate them
	@$(BIN)/python -m deploy.k8s.render --check
