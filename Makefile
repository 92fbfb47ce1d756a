# chorusweb — two set-up commands: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.12 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000
# Debug is off unless DJANGO_DEBUG=true: `make run`, `make test` and `make bench` use the
# development configuration (development keys, the sandbox) unless told otherwise.
export DJANGO_DEBUG ?= true

.PHONY: help run test lint format bench venv migrate demo sandbox-seed clean gettext messages chromium axe chartjs

help:
	@echo "make run    start the dashboard with the demo and the sandbox on http://$(HOST):$(PORT)"
	@echo "make test   install what is needed and run every check and test"
	@echo "make messages  refresh the translation catalogs (locale/) and recompile them"
	@echo "make bench  run the benchmarks and print their figures (BENCH_ARGS=\"--scale 1000000\", DATABASE_URL=postgres://...)"

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -c 'import sys; assert sys.version_info[:2] == (3, 12), "chorusweb needs Python 3.12 (see .python-version)"'
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

venv: $(STAMP)

migrate: venv
	$(PY) manage.py migrate --noinput

sandbox-seed: migrate
	$(PY) manage.py sandbox_seed_if_empty

demo: sandbox-seed
	$(PY) manage.py load_demo --api-url http://$(HOST):$(PORT)/sandbox --quiet-logins

# The web server, one worker and the scheduler together (Procfile.dev, honcho): logs are
# prefixed with the process name and Ctrl+C stops all three.
run: demo
	@$(PY) manage.py load_demo --api-url http://$(HOST):$(PORT)/sandbox | tail -n 4
	@echo "Tableau de bord : http://$(HOST):$(PORT)/  (Ctrl+C pour arrêter)"
	HOST=$(HOST) PORT=$(PORT) CHORUSWEB_BASE_URL=$${CHORUSWEB_BASE_URL:-http://$(HOST):$(PORT)} exec $(VENV)/bin/honcho --no-colour -f Procfile.dev start --port $(PORT)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check
	@$(MAKE) --no-print-directory gettext
	$(PY) manage.py check_translations
	@$(MAKE) --no-print-directory chromium axe
	$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS); status=$$?; \
	  if [ $$status -eq 5 ]; then echo "pytest collected no test: failing"; exit 1; fi; exit $$status

# GNU gettext (xgettext, msgfmt) extracts and compiles the translations: installed here when
# running as root with apt-get, otherwise the user is told how to install it.
gettext:
	@if ! command -v msgfmt >/dev/null 2>&1 || ! command -v xgettext >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing GNU gettext (msgfmt, xgettext) with apt-get..."; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -qq gettext >/dev/null || { apt-get update -qq && apt-get install -y -qq gettext >/dev/null; } \
	      || { echo "Could not install gettext: run apt-get install gettext"; exit 1; }; \
	  else \
	    echo "GNU gettext (msgfmt, xgettext) is needed to check the translations."; \
	    echo "Install it, then run make test again:  sudo apt-get install gettext   (macOS: brew install gettext)"; \
	    exit 1; \
	  fi; \
	fi

# pytest-xdist runs the suite on one worker more than the cores: some tests wait on processes
# and servers they start, and the extra worker fills that time (PYTEST_WORKERS=0: one process).
PYTEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print((os.cpu_count() or 1) + 1)')

# The browser tests (tests/browser) drive Debian's chromium (never a downloaded browser):
# installed here when running as root with apt-get, otherwise the user is told how to install it.
CHROMIUM ?= /usr/bin/chromium
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing chromium with apt-get (for the browser tests)..."; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -qq chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
	      || { echo "Could not install chromium: run apt-get install chromium"; exit 1; }; \
	  else \
	    echo "chromium is needed for the browser tests (tests/browser), at $(CHROMIUM)."; \
	    echo "Install it, then run make test again:  sudo apt-get install chromium"; \
	    exit 1; \
	  fi; \
	fi

# axe-core (accessibility checks of the browser tests), pinned in package-lock.json.
axe: node_modules/.package-lock.json
node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is needed for axe-core: sudo apt-get install npm"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Chart.js (the dashboard's charts), pinned in package-lock.json and committed under
# static/vendor/chartjs/ (a fresh clone needs no npm): refresh it after changing its version.
chartjs: node_modules/.package-lock.json
	sed '/sourceMappingURL/d' node_modules/chart.js/dist/chart.umd.min.js > static/vendor/chartjs/chart.umd.min.js
	cp node_modules/chart.js/LICENSE.md static/vendor/chartjs/LICENSE.md

# Refresh locale/*/LC_MESSAGES/django.po from the code, then recompile the .mo files (committed).
messages: venv gettext
	$(PY) manage.py check_translations --update

bench: venv
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache node_modules test-output
