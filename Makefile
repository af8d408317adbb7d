# Back-office workspace. `make help` lists the targets.
SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:$(PATH)

# Dev servers (infra-up / infra-down): fixed ports, data under VAR_DIR.
VAR_DIR ?= ./var
PG_PORT ?= 5432
KAFKA_PORT ?= 9092
KAFKA_CONTROLLER_PORT ?= 9093
INFRA_ENV = VAR_DIR=$(VAR_DIR) PG_PORT=$(PG_PORT) KAFKA_PORT=$(KAFKA_PORT) KAFKA_CONTROLLER_PORT=$(KAFKA_CONTROLLER_PORT)

.PHONY: help install infra-up infra-down infra-status lint test run demo up bench chaos clean

help:
	@echo "install       uv (if missing) and the locked dependencies of every package"
	@echo "infra-up      PostgreSQL on 127.0.0.1:$(PG_PORT) and Kafka on 127.0.0.1:$(KAFKA_PORT), data in $(VAR_DIR)"
	@echo "infra-down    stop them (the data stays)"
	@echo "lint          ruff check, ruff format --check, mypy, lint-imports"
	@echo "test          the whole CI check: install, private servers, lint, contracts, every test"
	@echo "run           the embedded back-office (one process); DEMO=1 loads the demo population first"
	@echo "demo          make run DEMO=1"
	@echo "up            every service as its own process, over Kafka"
	@echo "bench         every benchmark, one table, written to docs/benchmarks.md (BENCH_SCALE=1|10, ARGS=names)"
	@echo "chaos         ROUNDS (3) rounds of faults under load (tests/chaos), each printing its counts"
	@echo "clean         stop the dev servers and delete var/ and caches"

install:
	@scripts/install.sh

infra-up:
	@$(INFRA_ENV) deploy/postgres/pg.sh start
	@$(INFRA_ENV) deploy/kafka/kafka.sh start
	@echo "export BACKOFFICE_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:$(PG_PORT)/postgres"
	@echo "export BACKOFFICE_TEST_KAFKA_BOOTSTRAP=127.0.0.1:$(KAFKA_PORT)"

infra-down:
	@$(INFRA_ENV) deploy/kafka/kafka.sh stop
	@$(INFRA_ENV) deploy/postgres/pg.sh stop

infra-status:
	@$(INFRA_ENV) deploy/postgres/pg.sh status; $(INFRA_ENV) deploy/kafka/kafka.sh status

lint:
	@scripts/lint.sh

# Extra pytest arguments: make test ARGS="-k kafka -x"
test:
	@scripts/test.sh $(ARGS)

# make run DEMO=1 (or make demo): load the generated demo population through the API first
run: install
	uv run backoffice run $(if $(DEMO),--demo,)

demo: install
	uv run backoffice run --demo

up: install
	uv run backoffice up

# make bench BENCH_SCALE=10 ARGS="latency scale_out"
bench: install
	uv run python -m tests.perf $(ARGS)

# make chaos ROUNDS=5: each round prints its counts; they are appended to $(VAR_DIR)/chaos-rounds.jsonl
ROUNDS ?= 3
chaos: install
	@mkdir -p $(VAR_DIR)
	CHAOS_ROUNDS=$(ROUNDS) CHAOS_REPORT=$(abspath $(VAR_DIR))/chaos-rounds.jsonl uv run pytest tests/chaos -x -q $(ARGS)

clean: infra-down
	rm -rf $(VAR_DIR) .mypy_cache .ruff_cache .pytest_cache .hypothesis
	find . -name __pycache__ -type d -not -path './.venv/*' -prune -exec rm -rf {} +
