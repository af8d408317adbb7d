#!/usr/bin/env bash
# The whole check, as CI runs it: install, a private PostgreSQL and Kafka on free ports, lint, the event
# contract check, then every test of the workspace against those servers. Stops what it started, always.
# Extra arguments go to pytest (e.g. scripts/test.sh -k kafka -x).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.local/bin:$PATH"

step() { printf '\n==> %s\n' "$*"; }
failed=()

step "install"
scripts/install.sh

VAR_DIR="$(mktemp -d "${TMPDIR:-/tmp}/backoffice-test.XXXXXX")"
export VAR_DIR
# Three distinct free ports, chosen while all three are held.
read -r PG_PORT KAFKA_PORT KAFKA_CONTROLLER_PORT < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
for s in socks:
    s.close()')
export PG_PORT KAFKA_PORT KAFKA_CONTROLLER_PORT

kafka_job=""
cleanup() {
  local rc=$?
  set +e
  [[ -n "$kafka_job" ]] && wait "$kafka_job" 2>/dev/null
  deploy/kafka/kafka.sh stop
  deploy/postgres/pg.sh stop
  rm -rf "$VAR_DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "start PostgreSQL (port $PG_PORT) and Kafka (port $KAFKA_PORT) under $VAR_DIR"
# Kafka starts in the background (its first run also fetches the jars) while lint runs.
deploy/kafka/kafka.sh start >"$VAR_DIR/kafka-start.log" 2>&1 &
kafka_job=$!
BACKOFFICE_TEST_DATABASE_URL="$(deploy/postgres/pg.sh start)"

step "lint"
scripts/lint.sh || failed+=(lint)

step "event contracts are in step with the generated code"
uv run python -m schemas.codegen --check || failed+=(codegen)

step "the committed OpenAPI document is in step with the gateway's code"
uv run python -m gateway.entrypoints.openapi --check || failed+=(openapi)

step "wait for Kafka"
if ! wait "$kafka_job"; then
  kafka_job=""
  cat "$VAR_DIR/kafka-start.log" >&2
  echo "Kafka did not start" >&2
  exit 1
fi
kafka_job=""
cat "$VAR_DIR/kafka-start.log"
BACKOFFICE_TEST_KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
# The servers came from the deploy scripts under VAR_DIR: tests may restart or kill them through the scripts.
export BACKOFFICE_TEST_DATABASE_URL BACKOFFICE_TEST_KAFKA_BOOTSTRAP BACKOFFICE_TEST_VAR_DIR="$VAR_DIR"

step "tests"
set +e
uv run pytest "$@"
rc=$?
set -e
case $rc in
  0) ;;
  5) echo "pytest collected no test" >&2; failed+=(tests) ;;
  *) failed+=(tests) ;;
esac

if ((${#failed[@]})); then
  step "FAILED: ${failed[*]}"
  exit 1
fi
step "all green"
