#!/usr/bin/env bash
# Style, types and architecture boundaries. Runs every check, fails if any failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.local/bin:$PATH"
MYPY_PATHS="${MYPY_PATHS:-src services/src schemas/src members-svc/src contracts-svc/src billing-svc/src payroll-svc/src gateway/src}"
failed=()
run() {
  echo "--> $*"
  "$@" || failed+=("${*:3:2}")
}
run uv run ruff check .
run uv run ruff format --check .
# shellcheck disable=SC2086
run uv run mypy $MYPY_PATHS
run uv run lint-imports
if ((${#failed[@]})); then
  printf 'lint failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
