#!/usr/bin/env bash
# Everything the workspace needs on a fresh machine: uv (from PyPI if missing), then the locked dependencies.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.local/bin:$PATH"
if ! command -v uv >/dev/null; then
  echo "uv not found: installing it with pip"
  python3 -m pip install --quiet --user uv 2>/dev/null \
    || python3 -m pip install --quiet uv 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages uv
  hash -r
fi
# --locked: a uv.lock out of step with the pyproject files is an error, not silently re-resolved.
uv sync --all-packages --locked
