# Two commands on a fresh machine: `make run` and `make test`.
# Each creates .venv and installs what it needs; a stamp file per requirements set
# means pip runs again only when a requirements file changes.

PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 5000
# Exported for tests/e2e/conftest.py, which launches this same binary (E2E_CHROMIUM is
# the older name, still honoured).
CHROMIUM ?= $(or $(E2E_CHROMIUM),/usr/bin/chromium)
PYTEST_ARGS ?=

VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

export CHROMIUM

.PHONY: run test lint migrate seed clean-venv help

help:
	@echo "make run   - migrate, seed demo data if the database is empty, serve on http://$(HOST):$(PORT)"
	@echo "make test  - run the whole test suite (browser tests need $(CHROMIUM))"
	@echo "make lint  - ruff check"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $(RUN_STAMP) $@

migrate: $(RUN_STAMP)
	$(FLASK) db upgrade

# Seed only an empty database (no customer yet), and only once the command exists.
seed: migrate
	@if ! $(FLASK) --help 2>/dev/null | grep -q 'seed-demo'; then \
		echo "make: 'flask seed-demo' is not available yet; skipping demo data"; \
	elif $(BIN)/python -c "import sys; from wsgi import app; from banking.extensions import db; from banking.core.models import User; ctx = app.app_context(); ctx.push(); sys.exit(0 if db.session.scalar(db.select(db.func.count()).select_from(User).where(User.role == 'customer')) else 1)" 2>/dev/null; then \
		echo "make: the database already has customers; not seeding"; \
	else \
		$(FLASK) seed-demo; \
	fi

run: seed
	$(FLASK) run --host $(HOST) --port $(PORT)

# The whole suite. Browser (e2e) tests run when Chromium is installed; without it they
# are deselected and the run says so. REQUIRE_E2E=1 (CI) turns that into a failure.
test: $(DEV_STAMP)
	@if [ -x "$(CHROMIUM)" ]; then \
		$(BIN)/pytest $(PYTEST_ARGS); \
	elif [ "$$REQUIRE_E2E" = "1" ]; then \
		echo "make test: $(CHROMIUM) not found and REQUIRE_E2E=1: browser tests cannot run" >&2; \
		exit 1; \
	else \
		echo "*** make test: $(CHROMIUM) not found: browser (e2e) tests are SKIPPED ***"; \
		echo "*** install it (apt-get install -y chromium) to run them ***"; \
		$(BIN)/pytest -m "not e2e" $(PYTEST_ARGS); \
		status=$$?; \
		echo "*** reminder: browser (e2e) tests were SKIPPED: $(CHROMIUM) not found ***"; \
		exit $$status; \
	fi

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

clean-venv:
	rm -rf $(VENV)
