# Kontor — developer commands. `make run` starts everything, `make test` checks everything.
#
# Every tool runs from the project's own virtualenv (.venv), so nothing needs
# to be activated first. Settings come from the environment and from `.env`
# (see .env.example); the real environment wins over `.env`.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.package-lock.json

# PORT: from the environment, else from .env, else 8000.
ENV_FILE_PORT := $(shell sed -n -E 's/^[[:space:]]*(export[[:space:]]+)?PORT[[:space:]]*=[[:space:]]*["'\'']?([0-9]+)["'\'']?[[:space:]]*$$/\2/p' .env 2>/dev/null | tail -n 1)
PORT ?= $(or $(ENV_FILE_PORT),8000)

PYTEST_ARGS ?= -n 2 --dist loadgroup
SCHEMA_FILE ?= /tmp/kontor-schema.yml
DEMO_PASSWORD := kontor-demo-2026

# Compiled translations: one .mo beside every .po (.mo files are not committed).
PO_FILES := $(wildcard locale/*/LC_MESSAGES/django.po locale/*/LC_MESSAGES/djangojs.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: help install translations db run test lint format messages bench clean distclean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# --- install -----------------------------------------------------------------

install: $(STAMP) $(NODE_STAMP) translations ## venv + Python deps, npm assets, compiled translations (idempotent)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null || { \
	  echo "error: Kontor needs Python >= 3.12, but '$(PYTHON)' is $$( (command -v $(PYTHON) >/dev/null && $(PYTHON) --version) 2>&1 || echo 'not found')." >&2; \
	  echo "       Install 3.13 (see .python-version; pyenv picks it up) or run: make install PYTHON=/path/to/python3.13" >&2; \
	  exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstalled only when pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml | $(BIN)/python
	@$(BIN)/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' || { \
	  echo "error: $(VENV) was made with $$($(BIN)/python --version); Kontor needs >= 3.12. Remove $(VENV) and run make install." >&2; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

# npm ci writes node_modules/.package-lock.json: rerun when the lock file is newer.
$(NODE_STAMP): package-lock.json package.json
	npm ci --no-audit --no-fund
	@touch $@

translations: $(MO_FILES)

locale/%.mo: locale/%.po | $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

# --- database ----------------------------------------------------------------

# Creates the database named in DATABASE_URL (environment, else .env, else the
# settings' default) when it is missing, connecting to the server's `postgres`
# database (or template1) as the same user.
define CREATE_DB_PY
import os, sys
import environ, psycopg
from psycopg import sql
if os.path.exists(".env"):
    environ.Env.read_env(".env", overwrite=False)
cfg = environ.Env().db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/kontor")
name = cfg["NAME"]
params = {k: cfg.get(k.upper()) for k in ("host", "port", "user", "password") if cfg.get(k.upper())}
params.update(cfg.get("OPTIONS", {}))
where = f"{params.get('host', 'local socket')}:{params.get('port', 5432)}"
conn, error = None, None
for maintenance_db in ("postgres", "template1"):
    try:
        conn = psycopg.connect(dbname=maintenance_db, autocommit=True, connect_timeout=5, **params)
        break
    except psycopg.OperationalError as e:
        error = e
if conn is None:
    sys.exit(f"make db: cannot connect to PostgreSQL at {where}: {error}\nIs PostgreSQL running, and is DATABASE_URL right?")
with conn:
    if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        print(f"database {name!r} exists on {where}")
    else:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"database {name!r} created on {where}")
endef
export CREATE_DB_PY

db: install ## create the database in DATABASE_URL if missing, then migrate
	@$(BIN)/python -c "$$CREATE_DB_PY"
	$(BIN)/python manage.py migrate --noinput

# --- run ---------------------------------------------------------------------

define BANNER

  Kontor is starting at  http://localhost:$(PORT)/
    staff app  http://localhost:$(PORT)/app/      customer portal  http://localhost:$(PORT)/portal/
    admin      http://localhost:$(PORT)/admin/    API docs         http://localhost:$(PORT)/api/docs/
    health     http://localhost:$(PORT)/health/

  Demo logins (password for all: $(DEMO_PASSWORD))
    admin@kontor.example        superuser
    sales@kontor.example        support@kontor.example      marketing@kontor.example
    finance@kontor.example      hr@kontor.example           it@kontor.example
    logistics@kontor.example    legal@kontor.example        management@kontor.example
    anna@nordicoutdoor.example  erik@balticfoods.example    (customers: /portal/)

  Processes (Procfile): web, worker (Celery), beat (Celery beat). Ctrl-C stops all.

endef
export BANNER

# honcho gives each process type its own PORT (5000, 5100, ...), so the web
# process reads KONTOR_PORT instead. `--env /dev/null`: Django reads .env
# itself, with the real environment winning (honcho would let .env win).
run: install db ## start web, worker and beat with demo data (http://localhost:$PORT/)
	$(BIN)/python manage.py seed_demo
	@echo "$$BANNER"
	KONTOR_PORT=$(PORT) exec $(BIN)/honcho start --env /dev/null --port $(PORT)

# --- checks ------------------------------------------------------------------

# pytest exit code 5 means "no tests collected": reported, not treated as a failure.
test: install ## lint, import rules, migrations, pytest, OpenAPI schema (stops at the first failure)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS) || { rc=$$?; if [ $$rc -eq 5 ]; then echo "WARNING: pytest collected no tests" >&2; else exit $$rc; fi; }
	$(BIN)/python manage.py spectacular --file $(SCHEMA_FILE) --validate --fail-on-warn
	@echo "OpenAPI schema valid: $(SCHEMA_FILE)"

lint: install ## ruff check, ruff format --check, import rules
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install ## ruff format and ruff check --fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: install ## update locale/sv .po files from the code (needs gettext)
	@command -v xgettext >/dev/null && command -v msgmerge >/dev/null || { \
	  echo "error: makemessages needs GNU gettext (apt-get install gettext / brew install gettext)." >&2; exit 1; }
	$(BIN)/python manage.py makemessages -l sv -d django --ignore=node_modules --ignore=.venv --ignore=staticfiles
	$(BIN)/python manage.py makemessages -l sv -d djangojs --ignore=node_modules --ignore=.venv --ignore=staticfiles
	@$(MAKE) translations

bench: install db ## run every bench/*.py script (benchmarks that print figures)
	@shopt -s nullglob; scripts=(bench/*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "no benchmarks in bench/"; exit 0; fi; \
	for script in "$${scripts[@]}"; do \
	  case "$$(basename "$$script")" in _*) continue;; esac; \
	  echo "==> $$script"; $(BIN)/python "$$script"; \
	done

clean: ## remove caches, collected static files and compiled translations
	rm -rf staticfiles .pytest_cache .ruff_cache test-results $(SCHEMA_FILE) .celerybeat-schedule*
	find . -path ./.venv -prune -o -path ./node_modules -prune -o -name __pycache__ -type d -exec rm -rf {} +
	find locale -name '*.mo' -delete 2>/dev/null || true

distclean: clean ## clean, and remove .venv and node_modules too
	rm -rf $(VENV) node_modules
