# One command to set up and test, one to set up and run. Needs Python >= 3.11 as python3.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Databases the tests run on; PostgreSQL must be reachable (REDLEGION_TEST_PG) when listed.
BACKENDS ?= sqlite,postgres

.PHONY: install test run demo lint check clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/.installed

test: install
	REDLEGION_TEST_BACKENDS=$(BACKENDS) $(BIN)/pytest

run: install
	$(BIN)/redlegion run

demo: install
	$(BIN)/redlegion demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DATABASE_URL=sqlite://$$(mktemp -u /tmp/redlegion-check-XXXXXX).sqlite3 \
		$(BIN)/redlegion db makemigrations --check

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
