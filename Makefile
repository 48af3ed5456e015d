# atenciones — one place to install, run and test the pipeline. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: faults help install up down status test unit integration lint fmt typecheck bench bench-peers bench-alerts demo clean chromium

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# niquests (grafana-client) needs urllib3-future, whose wheel rewrites the `urllib3` package at
	# every interpreter start (a .pth hook). Built from source with URLLIB3_NO_OVERRIDE=1 it stays
	# `urllib3_future`, and clickhouse-connect keeps the real urllib3.
	URLLIB3_NO_OVERRIDE=1 $(PY) -m pip install -q --disable-pip-version-check \
		--no-binary urllib3-future -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv, install pinned dependencies and fetch Kafka's jars
	$(PY) -m local_stack.kafka fetch

up: install ## Start Kafka, ClickHouse and the worker on 127.0.0.1 (state in .state/); harmless twice
	$(PY) -m local_stack.kafka start
	$(PY) -m local_stack.clickhouse start
	$(VENV)/bin/atenciones topics
	$(VENV)/bin/atenciones migrate
	$(PY) -m local_stack.worker start

down: ## Stop what `make up` started (by PID)
	-@test -x $(PY) && $(PY) -m local_stack.worker stop
	-@test -x $(PY) && $(PY) -m local_stack.clickhouse stop
	-@test -x $(PY) && $(PY) -m local_stack.kafka stop

status: ## Show which local services run
	@$(PY) -m local_stack.kafka status; $(PY) -m local_stack.clickhouse status; $(PY) -m local_stack.worker status

demo: up chromium ## Start the stack, load the synthetic demo history, write the 08/11/2024 report
	$(VENV)/bin/atenciones demo-history --wait
	@mkdir -p out
	$(VENV)/bin/atenciones report --date 2024-11-08 --format html --out out/reporte-diario-2024-11-08.html
	$(VENV)/bin/atenciones report --date 2024-11-08 --format pdf --out out/reporte-diario-2024-11-08.pdf
	$(PY) -m demo.summary
	@echo "Report (SYNTHETIC DEMO DATA): out/reporte-diario-2024-11-08.html and .pdf"
	@echo "Next: live traffic: .venv/bin/atenciones simulate --rate 20 --duration 60"
	@echo "      dead letters: .venv/bin/atenciones dlq stats · status: make status · stop: make down"

lint: install ## ruff (lint + format check) and the layers contract (.importlinter)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

fmt: install ## Format and auto-fix with ruff
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: install ## mypy
	$(VENV)/bin/mypy foundation local_stack atenciones schemas streams agents clickhouse incidents grafana benchmarks demo reports

unit: install ## Unit tests only (no services)
	$(PY) -m pytest tests -m "not integration" -q

integration: install ## Integration tests only (starts its own Kafka and ClickHouse)
	$(PY) -m pytest tests -m integration -q

test: lint typecheck ## The test command: lint, types, unit and integration tests
	$(PY) -m pytest tests -q -ra --durations=10 -m "not faults" -n 2 --dist loadgroup

faults: install ## Fault scenarios (crash, ClickHouse outage, broker restart, bad input, burst) + table
	$(PY) -m pytest tests/faults -q -ra -p no:logging

PEERS_VENV := .venv-peers

$(PEERS_VENV)/.installed: benchmarks/peers/requirements.txt
	test -x $(PEERS_VENV)/bin/python || $(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/python -m pip install -q --disable-pip-version-check -r $<
	touch $@

bench-peers: install $(PEERS_VENV)/.installed ## The worker next to Quix Streams, a plain consumer and ClickHouse's Kafka engine
	$(PY) -m benchmarks.peers

bench: install ## Benchmarks (throughput, latency, memory): prints figures
	$(PY) -m benchmarks.publish_throughput
	$(PY) -m benchmarks.pipeline

bench-alerts: install ## The incident detector on synthetic traffic: recall, precision, delay, false alerts
	$(PY) -m benchmarks.alerts --keys 200 --incidents 600

chromium: ## Install Debian's Chromium (PDF reports, screenshot tests) if it is missing
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils; }

clean: down ## Remove local state (data of the local stack)
	rm -rf .state
