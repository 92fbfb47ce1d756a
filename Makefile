# chorusweb — two set-up commands: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.12 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help run test lint format bench venv migrate demo sandbox-seed clean

help:
	@echo "make run    start the dashboard with the demo and the sandbox on http://$(HOST):$(PORT)"
	@echo "make test   install what is needed and run every check and test"
	@echo "make bench  run the benchmarks and print their figures"

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

run: demo
	@$(PY) manage.py load_demo --api-url http://$(HOST):$(PORT)/sandbox | tail -n 4
	@echo "Tableau de bord : http://$(HOST):$(PORT)/  (Ctrl+C pour arrêter)"
	$(PY) manage.py runserver $(HOST):$(PORT)

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
	$(PY) -m pytest $(PYTEST_ARGS); status=$$?; \
	  if [ $$status -eq 5 ]; then echo "pytest collected no test: failing"; exit 1; fi; exit $$status

bench: venv
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
