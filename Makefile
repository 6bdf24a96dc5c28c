# Two commands do everything on a fresh machine with Python 3.11+:
#   make run   - virtualenv, install, migrate, serve on http://127.0.0.1:8000 (SQLite + simulator)
#   make test  - lint, types, layer rules and the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint typecheck layers install schema clean browser nats

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,parquet]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/switchboard migrate
	$(BIN)/switchboard serve

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy domain application projections api infra

layers: $(STAMP)
	$(BIN)/lint-imports

browser:
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || \
	  (command -v apt-get >/dev/null 2>&1 && (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null) || \
	   echo "chromium is missing and cannot be installed here: browser tests will skip")

# Debian's nats-server plays the NATS server of MIKO's module for 1C in the PBX check's tests.
nats:
	@command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || \
	  (command -v apt-get >/dev/null 2>&1 && (apt-get update -qq && apt-get install -y -qq --no-install-recommends nats-server >/dev/null) || \
	   echo "nats-server is missing and cannot be installed here: the PBX check's tests will skip")

test: $(STAMP) browser nats lint typecheck layers
	$(BIN)/pytest -q

test-fast: $(STAMP)
	$(BIN)/pytest -q tests/unit

schema: $(STAMP)
	$(BIN)/python -c "from api.graphql.schema import build_schema; print(build_schema().as_str())" > schema.graphql

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
