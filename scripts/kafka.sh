#!/usr/bin/env bash
# Fetches (with Maven, from Maven Central; version pinned in scripts/kafka/pom.xml), formats and
# starts, or stops, a single-node KRaft Kafka broker on 127.0.0.1:9092. No Docker needed.
# Idempotent: a broker already answering is left alone; jars are fetched again only when the
# pom changes.  Usage: scripts/kafka.sh up|down|status
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PORT=${ROSTER_KAFKA_PORT:-9092}
CONTROLLER_PORT=${ROSTER_KAFKA_CONTROLLER_PORT:-9093}
STATE_DIR=${ROSTER_SERVICES_DIR:-$(cd "$HERE/.." && pwd)/.services}/kafka
LIB="$STATE_DIR/lib"
PID_FILE="$STATE_DIR/kafka.pid"

log() { echo "kafka: $*"; }

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

fetch() {
  local stamp; stamp=$(sha256sum "$HERE/kafka/pom.xml" | cut -c1-16)
  if [ "$(cat "$LIB/.stamp" 2>/dev/null)" = "$stamp" ]; then return; fi
  command -v mvn >/dev/null || { log "Maven (mvn) is needed to fetch the broker"; exit 1; }
  log "fetching the broker jars with Maven"
  rm -rf "$LIB"
  mvn -q -B -Dstyle.color=never -f "$HERE/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$LIB" -DincludeScope=runtime
  echo "$stamp" > "$LIB/.stamp"
}

configure() {
  sed -e "s#@DATA@#$STATE_DIR/data#" -e "s#@PORT@#$PORT#g" \
      -e "s#@CONTROLLER_PORT@#$CONTROLLER_PORT#g" \
      "$HERE/kafka/server.properties" > "$STATE_DIR/server.properties"
  if [ ! -f "$STATE_DIR/data/meta.properties" ]; then
    local id; id=$(java -cp "$LIB/*" kafka.tools.StorageTool random-uuid 2>/dev/null)
    java "${JAVA_LOGGING[@]}" -cp "$LIB/*" kafka.tools.StorageTool format -t "$id" \
      -c "$STATE_DIR/server.properties" --ignore-formatted >/dev/null
  fi
}

up() {
  if answers; then log "already up on $PORT"; return; fi
  mkdir -p "$STATE_DIR"
  fetch
  JAVA_LOGGING=("-Dlog4j2.configurationFile=$HERE/kafka/log4j2.properties" "-Dkafka.logs.dir=$STATE_DIR")
  configure
  log "starting the broker on $PORT"
  : > "$STATE_DIR/server.log"
  nohup setsid java -Xms256m -Xmx512m -XX:+UseG1GC "${JAVA_LOGGING[@]}" -cp "$LIB/*" \
    kafka.Kafka "$STATE_DIR/server.properties" > "$STATE_DIR/stdout.log" 2>&1 &
  echo $! > "$PID_FILE"
  for _ in $(seq 1 120); do
    if grep -q "Kafka Server started" "$STATE_DIR/server.log" && answers; then
      log "up on $PORT"; return
    fi
    kill -0 "$(cat "$PID_FILE")" 2>/dev/null || break
    sleep 0.5
  done
  log "the broker did not start; see $STATE_DIR/server.log and $STATE_DIR/stdout.log"
  tail -5 "$STATE_DIR/stdout.log" >&2 || true
  exit 1
}

# The broker's pid: from this checkout's pid file, else a broker this script started from
# another checkout of the project (its state, and so its pid file, lives there).
broker_pid() {
  local pid; pid=$(cat "$PID_FILE" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; return; fi
  pgrep -f "kafka\.Kafka .*/kafka/server\.properties" | head -1 || true
}

down() {
  local pid; pid=$(broker_pid)
  if [ -z "$pid" ]; then log "not running"; return; fi
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || { log "stopped"; rm -f "$PID_FILE"; return; }; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
  log "killed"
}

status() { if answers; then echo "kafka: up on $PORT"; else echo "kafka: down"; fi; }

case "${1:-up}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
