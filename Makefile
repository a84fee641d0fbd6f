# ReProduce — the two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/sh
VENV ?= .venv
PORT ?= 8000
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE := reproduce.settings

.PHONY: demo test test-fast e2e lint format bench messages clean help

help:
	@echo "make demo   - install, migrate, load the Brussels demo network and serve it (PORT=$(PORT))"
	@echo "make test   - run the whole test suite (SQLite, or DATABASE_URL)"
	@echo "make lint   - ruff, mypy, migrations check"
	@echo "make bench  - print benchmark figures"

$(STAMP): pyproject.toml requirements/lock.txt
	@PY=$$(scripts/find-python.sh) || exit 1; \
	  [ -x $(BIN)/python ] || { echo "Creating $(VENV) with $$PY"; $$PY -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/reproduce demo --port $(PORT)

# The suite runs on every core (pytest-xdist); PYTEST_ARGS="-n 0" runs it in one process.
test: $(STAMP)
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n auto -m "not e2e" $(PYTEST_ARGS)

e2e: $(STAMP)
	$(BIN)/python -m pytest tests/e2e $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src/reproduce
	$(BIN)/reproduce makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The benchmarks need PyJobShop (the reference scheduler the FJSP bench compares against):
# a bench-only dependency, installed from its own hashed lock.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP) requirements/bench.txt
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/bench.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.registry.capability_query $(BENCH_ARGS)
	$(BIN)/python -m bench.fjsp.run $(FJSP_ARGS)
	$(BIN)/python -m bench.network.run $(NETWORK_ARGS)
	$(BIN)/python -m bench.traceability.run $(TRACE_ARGS)

# Needs GNU gettext (apt-get install gettext). The compiled .mo files are committed, so that
# `make demo` and `make test` work on a machine without it.
messages: $(STAMP)
	cd src/reproduce && ../../$(BIN)/django-admin makemessages -l fr -l nl --no-obsolete \
	  --ignore='static/*' --ignore='*/tests/*' --ignore='data/*'
	cd src/reproduce && ../../$(BIN)/django-admin compilemessages -l fr -l nl

clean:
	rm -rf $(VENV) reproduce-demo.sqlite3 .pytest_cache
