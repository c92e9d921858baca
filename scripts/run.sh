#!/usr/bin/env bash
# Start two Celery workers and the web server; Ctrl-C stops all three. As in compose, the media
# queue has its own worker, so a long transcode never delays the resident's emails, the
# scan-count flush or the kit tasks on `default` (whose worker embeds the beat scheduler).
# Worker logs are appended to across restarts; emails are files in var/mail/ (one per email,
# deleted with the resident's data when a testimonial is erased), never printed in a log.
set -euo pipefail
port="${1:-8000}"
# Links in emails, feeds and QR codes are built from SITE_URL: on another port they must say so.
export SITE_URL="${SITE_URL:-http://localhost:$port}"
py=.venv/bin/python
mkdir -p var/log
$py -m celery -A onprovence worker -Q media --concurrency 1 --hostname media@%h --loglevel INFO \
  >>var/log/worker-media.log 2>&1 &
media=$!
$py -m celery -A onprovence worker -B -Q default --concurrency 1 --hostname default@%h \
  --loglevel INFO >>var/log/worker.log 2>&1 &
default=$!
trap 'kill $media $default 2>/dev/null; wait $media $default 2>/dev/null' EXIT INT TERM
cat <<MSG

  One Provence — Tous Ambassadeurs is running:
    Site (français)   http://localhost:$port/
    Site (English)    http://localhost:$port/en/
    Ambassadeurs      http://localhost:$port/ambassadeurs/
    Kit employeur     http://localhost:$port/kit/
    Admin             http://localhost:$port/admin/   (credentials printed above)
    Health            http://localhost:$port/healthz
  Celery worker, queue media (ffmpeg):  pid $media, log var/log/worker-media.log
  Celery worker, queue default + beat:  pid $default, log var/log/worker.log
  Storage: var/media/ · Database: var/db.sqlite3 · Broker: var/celery/ (filesystem)
  Emails: var/mail/ (one .eml file per email)

MSG
$py manage.py runserver "0.0.0.0:$port"
