#!/usr/bin/env bash
# Make sure PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) answer for the tests:
# start them when they are installed but stopped, install them on a bare Debian machine.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_up() { for _ in $(seq 1 60); do up "$1" && return 0; sleep 0.5; done; echo "$2 did not start on port $1" >&2; return 1; }
apt_install() {
  [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null || { echo "Please install $* (port $PORT_HINT)." >&2; exit 1; }
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! up 5432; then
  PORT_HINT=5432
  if ! command -v pg_ctlcluster >/dev/null; then
    apt_install postgresql
    fresh_postgres=1
  fi
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  wait_up 5432 PostgreSQL
  if [ -n "${fresh_postgres:-}" ]; then
    su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\""
  fi
fi

if ! up 6379; then
  PORT_HINT=6379
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_up 6379 Redis
fi
echo "PostgreSQL and Redis are up."
