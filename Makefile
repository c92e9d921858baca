# `make run`: set up, migrate, load demo data, start the web server (127.0.0.1; `HOST=0.0.0.0
# make run` for the local network) and two Celery workers.
# `make test`: the whole test suite (lint, format, pytest) on the real services.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test setup test-setup services lint bench screenshots clean

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	scripts/run.sh $(PORT)

test: setup test-setup services
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest $(PYTEST_ARGS)

setup: $(VENV)/.installed
	scripts/install-system-packages.sh run
	$(PY) manage.py compilemessages -v0 --ignore=.venv --ignore=var

# puppeteer-core drives Debian's Firefox ESR; it never downloads a browser.
test-setup:
	scripts/install-system-packages.sh test
	cd tests/browsers && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error

services:
	scripts/ensure-services.sh

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

BENCHES ?= bench/pipeline.py bench/redirect.py bench/http_load.py bench/upload_local_parts.py bench/upload_parallel.py bench/media_queue.py bench/upload_outage.py bench/signature_cost.py bench/worst_accepted.py

bench: setup services
	scripts/install-system-packages.sh bench
	@for script in $(BENCHES); do echo "== $$script"; $(PY) $$script || exit 1; done

# Refresh the screenshots kept in docs/ from the last browser-test run (tests write var/ only).
screenshots: setup
	$(PY) scripts/refresh_screenshots.py

clean:
	rm -rf $(VENV) var
