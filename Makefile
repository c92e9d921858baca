# `make run`: set up, migrate, load demo data, start the web server (127.0.0.1; `HOST=0.0.0.0
# make run` for the local network) and two Celery workers.
# `make test`: the whole test suite (lint, format, types, pytest on both cores) on the real
# services. `make test-fast`: the same without the browser and slow tests (the edit loop).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

# pytest-xdist workers: each gets its own test database, Redis db and S3 endpoint (tests/settings.py).
# `loadgroup` keeps the tests of one xdist_group (shared outside state) on one worker.
PYTEST_WORKERS ?= 2
PYTEST_PARALLEL := -n $(PYTEST_WORKERS) --dist loadgroup --no-loadscope-reorder

.PHONY: run test test-fast typecheck setup test-setup services lint bench screenshots clean

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	scripts/run.sh $(PORT)

test: setup test-setup services
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

test-fast: setup services
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) -m pytest $(PYTEST_PARALLEL) -m "not browser and not slow" $(PYTEST_ARGS)

typecheck: setup
	$(VENV)/bin/mypy

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
	$(VENV)/bin/pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

BENCHES ?= bench/pipeline.py bench/redirect.py bench/http_load.py bench/upload_resident.py bench/upload_local_parts.py bench/upload_parallel.py bench/media_queue.py bench/upload_outage.py bench/signature_cost.py bench/worst_accepted.py

bench: setup services
	scripts/install-system-packages.sh bench
	@for script in $(BENCHES); do echo "== $$script"; $(PY) $$script || exit 1; done

# Refresh the screenshots kept in docs/ from the last browser-test run (tests write var/ only).
screenshots: setup
	$(PY) scripts/refresh_screenshots.py

clean:
	rm -rf $(VENV) var
