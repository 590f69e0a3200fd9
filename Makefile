# Two commands set the project up on a fresh machine (see README):
#   make run   — the application on the embedded SQLite default, with Liuzhou data and demo data
#   make test  — the whole test suite (DATABASE_URL selects PostgreSQL instead)
# and a third to measure at region scale: make bench (see README, Scale and benchmarks)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000

.PHONY: run test venv dev lint format messages clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

venv: $(VENV)/.runtime

dev: $(VENV)/.dev

# The local settings of a development machine, written once and git-ignored: DEBUG on and a random secret key,
# so that the README's `manage.py` commands run as written. Production sets its variables in the service's
# environment (see .env.example); with DEBUG off a real SECRET_KEY stays required.
.env:
	@printf '%s\n' '# Written by make run for development on this machine; see .env.example.' 'DEBUG=true' \
		"SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > $@
	@echo "Wrote .env: DEBUG on and a random SECRET_KEY, for development on this machine."

# One background task worker (large exports) runs beside the development server and stops with it.
run: venv .env
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --no-input
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py setup_demo
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py runserver $(HOST)

test: dev
	$(BIN)/pytest -n auto $(PYTEST_ARGS)

# Region-scale measures against their floors, on a throwaway PostgreSQL (see README, Scale and benchmarks).
# Not part of `make test` or CI. BENCH_ARGS passes options, e.g. BENCH_ARGS="--only coverage".
bench: dev
	scripts/with-postgres $(BIN)/python bench/run.py $(BENCH_ARGS)

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Regenerate the zh_Hans catalogue after changing user-facing strings (needs GNU gettext).
messages: dev
	DEBUG=true $(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore '.venv/*'
	DEBUG=true $(BIN)/python manage.py compilemessages -l zh_Hans --ignore '.venv/*'

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
