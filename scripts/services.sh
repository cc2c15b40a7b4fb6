#!/usr/bin/env bash
# Installs (from Debian's packages) and starts, or stops, the servers roster's tests use:
# PostgreSQL on 127.0.0.1:5432, Redis on 127.0.0.1:6379, and Kafka on 127.0.0.1:9092 through
# scripts/kafka.sh (jars from Maven Central). Idempotent: servers already up are left alone.  Usage: scripts/services.sh up|down|status
set -euo pipefail

PG_USER=${ROSTER_POSTGRES_USER:-roster}
PG_PASSWORD=${ROSTER_POSTGRES_PASSWORD:-roster}
PG_DB=${ROSTER_POSTGRES_DB:-roster}
PG_PORT=${ROSTER_POSTGRES_PORT:-5432}
REDIS_PORT=${ROSTER_REDIS_PORT:-6379}
STATE_DIR=${ROSTER_SERVICES_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.services}

log() { echo "services: $*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { as_root su postgres -s /bin/sh -c "PGOPTIONS=--client-min-messages=warning $1"; }

apt_install() {
  if [ -z "${APT_UPDATED:-}" ]; then
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_version() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1; }

postgres_up() {
  if [ -z "$(pg_version)" ] \
      || [ ! -f "/usr/share/postgresql/$(pg_version)/extension/pg_trgm.control" ]; then
    log "installing PostgreSQL"
    apt_install postgresql postgresql-contrib
  fi
  local version; version=$(pg_version)
  if ! pg_lsclusters -h | awk '{print $2}' | grep -qx main; then
    as_root pg_createcluster "$version" main --port "$PG_PORT" >/dev/null
  fi
  if pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
    log "PostgreSQL already up on $PG_PORT"
  else
    log "starting PostgreSQL $version on $PG_PORT"
    as_root pg_ctlcluster "$version" main start
    for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break; sleep 0.5; done
    pg_isready -q -h 127.0.0.1 -p "$PG_PORT" || { log "PostgreSQL did not start"; exit 1; }
  fi
  as_postgres "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='$PG_USER'\" | grep -q 1 \
    || psql -qc \"CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD'\""
  as_postgres "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='$PG_DB'\" | grep -q 1 \
    || createdb -O $PG_USER $PG_DB"
  for extension in pg_trgm btree_gin; do
    as_postgres "psql -qd $PG_DB -c 'CREATE EXTENSION IF NOT EXISTS $extension SCHEMA public'"
  done
}

redis_up() {
  command -v redis-server >/dev/null || { log "installing Redis"; apt_install redis-server; }
  if redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
    log "Redis already up on $REDIS_PORT"
    return
  fi
  log "starting Redis on $REDIS_PORT"
  mkdir -p "$STATE_DIR/redis"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save "" \
    --appendonly no --dir "$STATE_DIR/redis" --logfile "$STATE_DIR/redis/redis.log"
  for _ in $(seq 1 40); do redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return; sleep 0.25; done
  log "Redis did not start"; exit 1
}

down() {
  redis-cli -p "$REDIS_PORT" shutdown nosave 2>/dev/null && log "Redis stopped" || true
  local version; version=$(pg_version)
  if [ -n "$version" ] && pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
    as_root pg_ctlcluster "$version" main stop && log "PostgreSQL stopped"
  fi
}

status() {
  pg_isready -h 127.0.0.1 -p "$PG_PORT" || true
  echo "redis: $(redis-cli -p "$REDIS_PORT" ping 2>&1 || true)"
}

case "${1:-up}" in
  up) postgres_up; redis_up; "$(dirname "$0")/kafka.sh" up ;;
  down) "$(dirname "$0")/kafka.sh" down; down ;;
  status) status; "$(dirname "$0")/kafka.sh" status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
