#!/usr/bin/env bash
# Start a Celery worker (both queues, with the beat scheduler embedded) and the web server;
# Ctrl-C stops both.
set -euo pipefail
port="${1:-8000}"
py=.venv/bin/python
mkdir -p var/log
$py -m celery -A onprovence worker -B -Q default,media --concurrency 2 --loglevel INFO \
  >var/log/worker.log 2>&1 &
worker=$!
trap 'kill $worker 2>/dev/null; wait $worker 2>/dev/null' EXIT INT TERM
cat <<MSG

  One Provence — Tous Ambassadeurs is running:
    Site (français)   http://localhost:$port/
    Site (English)    http://localhost:$port/en/
    Ambassadeurs      http://localhost:$port/ambassadeurs/
    Kit employeur     http://localhost:$port/kit/
    Admin             http://localhost:$port/admin/   (credentials printed above)
    Health            http://localhost:$port/healthz
  Celery worker (queues default + media, beat embedded): pid $worker, log var/log/worker.log
  Storage: var/media/ · Database: var/db.sqlite3 · Broker: var/celery/ (filesystem)

MSG
$py manage.py runserver "0.0.0.0:$port"
