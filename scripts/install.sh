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
# Bytecode is compiled here, the libraries' and the workspace's own: where PYTHONDONTWRITEBYTECODE is set (as
# on these machines) Python never writes it, and every process compiled all it imports at each start (2.5 s
# of CPU for a service; the tests start hundreds of processes).
uv sync --all-packages --locked --compile-bytecode
uv run --no-sync python -m compileall -q -j 0 src services/src schemas gateway/src ./*-svc/src

# The observability tests run Debian's prometheus (and promtool) and chromium (the ops page in a real browser).
# Installed only when missing, as root with apt; their Debian services are not started (policy-rc.d): the tests
# start their own Prometheus on loopback.
missing=()
{ command -v prometheus && command -v promtool; } >/dev/null || missing+=(prometheus)
command -v chromium >/dev/null || missing+=(chromium)
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    (
      policy=/usr/sbin/policy-rc.d
      if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
        trap 'rm -f "$policy"' EXIT
      fi
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    )
  else
    echo "missing ${missing[*]}: install them (apt-get install ${missing[*]}) or the observability tests fail" >&2
  fi
fi
