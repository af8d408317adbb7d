#!/usr/bin/env bash
# A single-node Kafka (KRaft, broker+controller in one JVM) for development and tests, without Docker.
#
#   deploy/kafka/kafka.sh {start|stop|status|restart|resolve}
#
# Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (as last configured, else KAFKA_PORT+1),
# KAFKA_HOST (127.0.0.1), VAR_DIR (./var; data in $VAR_DIR/kafka-$KAFKA_PORT), KAFKA_HEAP (512m),
# KAFKA_START_TIMEOUT (90 s), KAFKA_LIBS (deploy/kafka/libs: the jars Maven resolves from pom.xml on first use).
# `restart` keeps the data; `stop` too (delete the directory to start afresh).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_HOST="${KAFKA_HOST:-127.0.0.1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_HEAP="${KAFKA_HEAP:-512m}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
KAFKA_LIBS="${KAFKA_LIBS:-$HERE/libs}"
VAR_DIR="${VAR_DIR:-./var}"
mkdir -p "$VAR_DIR"
VAR_DIR="$(cd "$VAR_DIR" && pwd)"
DIR="$VAR_DIR/kafka-$KAFKA_PORT"
PID_FILE="$DIR/kafka.pid"
# A restart keeps the controller port it was configured with, unless told otherwise.
if [[ -z "${KAFKA_CONTROLLER_PORT:-}" && -f "$DIR/server.properties" ]]; then
  KAFKA_CONTROLLER_PORT="$(sed -n 's/^controller.quorum.voters=.*:\([0-9]*\)$/\1/p' "$DIR/server.properties")"
fi
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
PYTHON="${PYTHON:-python3}"

log() { echo "kafka.sh[$KAFKA_PORT]: $*" >&2; }
die() { log "$*"; exit 1; }

# The jars are resolved once into libs/ (git-ignored). A stamp with the pom's checksum re-resolves after an
# upgrade; a lock and a rename keep two concurrent first starts from seeing half a directory.
resolve() {
  local stamp="$KAFKA_LIBS/.pom.sha256" want
  want="$(sha256sum "$HERE/pom.xml" | cut -d' ' -f1)"
  [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && return 0
  command -v mvn >/dev/null || die "mvn not found: Maven is needed once to fetch the Kafka jars"
  command -v java >/dev/null || die "java not found"
  # target/ is git-ignored, like libs/.
  mkdir -p "$(dirname "$KAFKA_LIBS")" "$HERE/target"
  exec 9>"$HERE/target/libs.lock"
  flock 9
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then exec 9>&-; return 0; fi
  local tmp="$HERE/target/libs.tmp.$$"
  rm -rf "$tmp"
  log "resolving the Kafka jars with Maven (first run only)..."
  if ! mvn -q -B -f "$HERE/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$tmp" -DincludeScope=runtime >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    die "Maven could not resolve the Kafka jars"
  fi
  rm -f "$tmp.log"
  echo "$want" >"$tmp/.pom.sha256"
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  exec 9>&-
  log "$(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars in $KAFKA_LIBS"
}

pid() { [[ -f "$PID_FILE" ]] && cat "$PID_FILE"; }

# Holding resources: alive, or dying. A killed JVM's main thread turns zombie (kill -0 still reaches it until
# init reaps it, which can take a second here) while its other threads, which hold the sockets, still exit.
alive() {
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
  [[ "$(state "$1")" != "Z" ]] || (($(ls "/proc/$1/task" 2>/dev/null | wc -l) > 1))
}

state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null; }

running() {
  local p
  p="$(pid)" || return 1
  alive "$p" && [[ "$(state "$p")" != "Z" ]]
}

wait_gone() {
  local deadline=$((SECONDS + 30))
  while alive "$1"; do
    ((SECONDS < deadline)) || die "process $1 still holds its resources 30 s after it was killed"
    sleep 0.1
  done
}

answers() { "$PYTHON" "$HERE/probe.py" "$KAFKA_HOST:$KAFKA_PORT" 2 >/dev/null 2>&1; }

JAVA=(java "-Xms${KAFKA_HEAP}" "-Xmx${KAFKA_HEAP}" -XX:+UseG1GC -Djava.awt.headless=true
  "-Dlog4j2.configurationFile=$HERE/log4j2.xml" "-Dkafka.logs.dir=$DIR/logs" -cp "$KAFKA_LIBS/*")

configure() {
  mkdir -p "$DIR/data" "$DIR/logs"
  sed -e "s#@HOST@#$KAFKA_HOST#g" -e "s#@PORT@#$KAFKA_PORT#g" \
    -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" -e "s#@DATA_DIR@#$DIR/data#g" \
    "$HERE/server.properties.template" >"$DIR/server.properties"
  if [[ ! -f "$DIR/data/meta.properties" ]]; then
    local cluster_id="-"
    # A cluster id is 16 random bytes in URL-safe base64 without padding. One starting with '-' reads as an
    # option to the storage tool (1 run in 64 failed so): drawn again, as Kafka's own Uuid.randomUuid does.
    while [[ "$cluster_id" == -* ]]; do
      cluster_id="$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    done
    # No --standalone: the voters are fixed in controller.quorum.voters.
    "${JAVA[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$DIR/server.properties" \
      >"$DIR/logs/format.log" 2>&1 || { cat "$DIR/logs/format.log" >&2; die "formatting $DIR/data failed"; }
    log "formatted $DIR/data (cluster $cluster_id)"
  fi
}

start() {
  if running; then
    wait_ready
    log "already running (pid $(pid))"
    print_bootstrap
    return 0
  fi
  # A broker killed from outside (a crash test) may still be exiting.
  local old
  old="$(pid)" && [[ -n "$old" ]] && wait_gone "$old"
  if answers; then die "something else already answers on $KAFKA_HOST:$KAFKA_PORT"; fi
  resolve
  configure
  nohup "${JAVA[@]}" kafka.Kafka "$DIR/server.properties" >>"$DIR/logs/stdout.log" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  log "started pid $! (logs: $DIR/logs)"
  wait_ready
  print_bootstrap
}

wait_ready() {
  local deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  until answers; do
    if ! running; then
      tail -n 40 "$DIR/logs/server.log" "$DIR/logs/stdout.log" >&2 2>/dev/null || true
      die "the broker died while starting"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 60 "$DIR/logs/server.log" "$DIR/logs/stdout.log" >&2 2>/dev/null || true
      die "the broker did not answer within ${KAFKA_START_TIMEOUT}s"
    fi
    sleep 0.3 # polling interval, not synchronisation
  done
}

print_bootstrap() { echo "$KAFKA_HOST:$KAFKA_PORT"; }

stop() {
  if ! running; then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  local p deadline
  p="$(pid)"
  kill -TERM "$p" 2>/dev/null || true
  deadline=$((SECONDS + KAFKA_STOP_TIMEOUT))
  while alive "$p"; do
    if ((SECONDS >= deadline)); then
      log "pid $p still alive after ${KAFKA_STOP_TIMEOUT}s: SIGKILL"
      kill -KILL "$p" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  # After SIGKILL, wait until the process is really gone so that its ports and locks are free.
  wait_gone "$p"
  rm -f "$PID_FILE"
  log "stopped"
}

status() {
  if running && answers; then
    log "running (pid $(pid)), answers on $KAFKA_HOST:$KAFKA_PORT"
  elif running; then
    log "process $(pid) alive but not answering"
    return 1
  else
    log "not running"
    return 3
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop && start ;;
  status) status ;;
  resolve) resolve ;;
  *) echo "usage: $0 {start|stop|status|restart|resolve}" >&2; exit 2 ;;
esac
