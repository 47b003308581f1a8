# One command to set up and test, one to set up and run. Needs Python >= 3.11 as python3.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Databases the tests run on; PostgreSQL must be reachable (REDLEGION_TEST_PG) when listed.
BACKENDS ?= sqlite,postgres

.PHONY: install test soak run demo lint check clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/.installed

test: install
	REDLEGION_TEST_BACKENDS=$(BACKENDS) $(BIN)/pytest

# A test that fails at random is a defect: `make soak` repeats tests/fakediscord on SQLite
# SOAK_RUNS times, then the whole suite on BACKENDS SOAK_SUITE_RUNS times, and stops at the
# first failure with its output (e.g. `make soak SOAK_RUNS=100 SOAK_SUITE_RUNS=0`).
SOAK_RUNS ?= 30
SOAK_SUITE_RUNS ?= 5

soak: install
	@log=$$(mktemp /tmp/redlegion-soak-XXXXXX); \
	for i in $$(seq 1 $(SOAK_RUNS)); do \
		printf 'tests/fakediscord (sqlite) run %s/%s: ' $$i $(SOAK_RUNS); \
		REDLEGION_TEST_BACKENDS=sqlite $(BIN)/pytest -q -p no:cacheprovider tests/fakediscord \
			>$$log 2>&1 || { cat $$log; echo "soak: tests/fakediscord failed on run $$i"; exit 1; }; \
		tail -n 1 $$log; \
	done; \
	for i in $$(seq 1 $(SOAK_SUITE_RUNS)); do \
		printf 'whole suite (%s) run %s/%s: ' $(BACKENDS) $$i $(SOAK_SUITE_RUNS); \
		REDLEGION_TEST_BACKENDS=$(BACKENDS) $(BIN)/pytest -q -p no:cacheprovider \
			>$$log 2>&1 || { cat $$log; echo "soak: the whole suite failed on run $$i"; exit 1; }; \
		tail -n 1 $$log; \
	done; \
	rm -f $$log; \
	echo "soak: $(SOAK_RUNS) runs of tests/fakediscord and $(SOAK_SUITE_RUNS) of the whole suite ($(BACKENDS)), all green"

run: install
	$(BIN)/redlegion run

demo: install
	$(BIN)/redlegion demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports  # the layers: [tool.importlinter] in pyproject.toml
	$(BIN)/mypy  # strict on clocks, core and storage: [tool.mypy] in pyproject.toml
	DATABASE_URL=sqlite://$$(mktemp -u /tmp/redlegion-check-XXXXXX).sqlite3 \
		$(BIN)/redlegion db makemigrations --check

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .grimp_cache .import_linter_cache
