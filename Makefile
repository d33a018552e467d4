# Marketplace ELT — every entry point a person or CI needs. `make help` lists them.
# Everything installs from this repository's lock files (uv.lock, bq_emulator/requirements.lock).

SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .venv-tools
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
VENV := .venv
EMU_VENV := .venv-bqemulator
DASH_VENV := .venv-dashboard
BIN := $(VENV)/bin
CLI := $(BIN)/marketplace-elt
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False

.PHONY: help install browser run test airflow airflow-stop dashboard lint services-up services-down bench drills clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(TOOLS)/bin/uv:
	@echo "installing uv $(UV_VERSION) into $(TOOLS)/ (no system changes)"
	@$(PYTHON) -m venv $(TOOLS) && $(TOOLS)/bin/pip install -q "uv==$(UV_VERSION)"

# Bytecode is compiled at install: machines that set PYTHONDONTWRITEBYTECODE would otherwise
# recompile Airflow, Cosmos and dbt from source in every DAG parse and every task process.
$(BIN)/marketplace-elt: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python 3.11 --compile-bytecode
	@touch $@

$(EMU_VENV)/bin/bqemulator: bq_emulator/requirements.lock | $(UV)
	$(UV) venv -q --allow-existing --python 3.11 $(EMU_VENV)
	VIRTUAL_ENV=$(EMU_VENV) $(UV) pip install -q --compile-bytecode -r bq_emulator/requirements.lock
	@touch $@

# The dashboard's Streamlit stack has its own lock file too (its pins must not constrain Airflow's).
$(DASH_VENV)/bin/streamlit: dashboard/requirements.lock | $(UV)
	$(UV) venv -q --allow-existing --python 3.11 $(DASH_VENV)
	VIRTUAL_ENV=$(DASH_VENV) $(UV) pip install -q --compile-bytecode -r dashboard/requirements.lock
	@touch $@

install: $(BIN)/marketplace-elt $(EMU_VENV)/bin/bqemulator $(DASH_VENV)/bin/streamlit ## create the virtualenvs from the lock files, build the dbt manifest
	@$(BIN)/python -m compileall -q src
	$(CLI) dbt parse

run: install ## the whole pipeline end to end on embedded services, then a summary
	$(CLI) pipeline run

test: install browser ## the test suite (starts real services on private ports)
	$(BIN)/pytest

browser: ## Debian's chromium for the UI screenshot test (skipped when it cannot be installed)
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 && echo "installed chromium"; } || \
	  command -v chromium >/dev/null || echo "chromium not installed: the UI screenshot test will be skipped"

airflow: install ## Airflow UI + scheduler on http://127.0.0.1:8080 with the DAG unpaused
	$(CLI) airflow start

airflow-stop: ## stop the Airflow components
	$(CLI) airflow stop

dashboard: install ## dashboard on the published marts at http://127.0.0.1:8501 (DASHBOARD_PORT); stop: marketplace-elt dashboard stop
	$(CLI) services up
	$(CLI) dashboard start

services-up: install ## start PostgreSQL + BigQuery emulator only
	$(CLI) services up

services-down: ## stop the embedded services (data is kept in .state/)
	$(CLI) services down

bench: install ## benchmarks (scale 100 by default; BENCH_SCALE=10 for a quicker look); writes bench/results/
	$(CLI) bench run --scale $${BENCH_SCALE:-100}

drills: install ## fault drills on real processes; ends with "N passed, N failed"
	$(CLI) drills run --scale $${DRILLS_SCALE:-0.1}

lint: install ## ruff + mypy
	$(BIN)/ruff check src tests airflow
	$(BIN)/ruff format --check src tests airflow
	$(BIN)/mypy

clean: services-down airflow-stop ## stop everything and delete local state (.state/)
	rm -rf .state
