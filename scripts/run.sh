#!/usr/bin/env bash
# Start two Celery workers and the web server; Ctrl-C stops all three. As in compose, the media
# queue has its own worker, so a long transcode never delays the resident's emails, the
# scan-count flush or the kit tasks on `default` (whose worker embeds the beat scheduler).
# Worker logs are appended to across restarts; emails are files in var/mail/ (one per email,
# deleted with the resident's data when a testimonial is erased), never printed in a log.
set -euo pipefail
port="${1:-8000}"
# Loopback only unless HOST says otherwise: DEBUG is on (tracebacks show the settings) and the
# development secret key is public, so anyone who reaches the server could sign residents' links.
# `HOST=0.0.0.0 make run` opens it to the local network (a phone on the same Wi-Fi; README.md).
host="${HOST:-127.0.0.1}"
lan=""
if [ "$host" != "127.0.0.1" ] && [ "$host" != "localhost" ] && [ "$host" != "::1" ]; then
  lan="$host"
  if [ "$host" = "0.0.0.0" ] || [ "$host" = "::" ]; then
    lan="$(hostname -I 2>/dev/null | awk '{print $1}')"
  fi
  if [ -n "$lan" ]; then
    # The phone asks for this address: Django must accept it, and links must point to it.
    export DJANGO_ALLOWED_HOSTS="${DJANGO_ALLOWED_HOSTS:-localhost,127.0.0.1,[::1],$lan}"
    export SITE_URL="${SITE_URL:-http://$lan:$port}"
  fi
fi
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
speech=""
if [ -n "${SPEECH_MODEL_PATH:-}" ]; then  # speech drafts only with a model (docs/speech.md)
  $py -m celery -A onprovence worker -Q speech --concurrency 1 --hostname speech@%h \
    --loglevel INFO >>var/log/worker-speech.log 2>&1 &
  speech=$!
fi
trap 'kill $media $default $speech 2>/dev/null; wait $media $default $speech 2>/dev/null' EXIT INT TERM
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
if [ -n "$lan" ]; then
  echo "  Open to the local network (HOST=$host): from a phone, $SITE_URL/"
  echo
else
  echo "  Only this machine can connect; HOST=0.0.0.0 make run opens it to the local network."
  echo
fi
case "$host" in *:*) bind="[$host]:$port" ;; *) bind="$host:$port" ;; esac
$py manage.py runserver "$bind"
