# dichvucong: the two commands are `make run` and `make test`; everything else is set up on the way.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= dichvucong.settings

.PHONY: install run test lint format typecheck bench browsers demo clean

$(VENV)/.installed: pyproject.toml requirements/lock.txt
	@test -x $(PY) || $$(scripts/find-python.sh) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/lock.txt
	@touch $@

install: $(VENV)/.installed

var:
	@mkdir -p var

# Migrate, load the demo data once (idempotent), then serve with every process the demo needs.
run: install var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py loaddemo
	PORT=$(PORT) DVC_PORT=$(PORT) $(VENV)/bin/honcho --procfile Procfile start

browsers:
	@scripts/ensure-chromium.sh

test: install browsers
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(VENV)/bin/pytest -n 2 --dist loadgroup

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy dichvucong sandboxes

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) bench/search.py
	$(PY) bench/oidc.py
	$(PY) bench/status_sync.py
	$(PY) bench/payments.py

clean:
	rm -rf $(VENV) var staticfiles
