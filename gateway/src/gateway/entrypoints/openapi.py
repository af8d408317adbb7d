"""The public API's OpenAPI document, committed as `gateway/openapi.json`, checked for drift in `make test`.

uv run python -m gateway.entrypoints.openapi          # write it
uv run python -m gateway.entrypoints.openapi --check  # fail if the committed file is not the code's
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path
from typing import Any

from gateway.config import Settings
from gateway.entrypoints.definition import definition
from gateway.upstream import HttpClient
from services.runtime import ServiceRuntime

DOCUMENT = Path(__file__).resolve().parents[3] / "openapi.json"
INTERNAL_PREFIXES = ("/internal",)


def public_document() -> dict[str, Any]:
    """The gateway app's document, as integrators see it (no app is started, nothing is called)."""
    unused = HttpClient("http://127.0.0.1")  # never called: nothing connects until a request is made
    runtime = ServiceRuntime(definition(lambda _service: unused), Settings())
    document = runtime.app.openapi()
    document["paths"] = {
        path: item for path, item in document["paths"].items() if not path.startswith(INTERNAL_PREFIXES)
    }
    return document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare with the committed document")
    args = parser.parse_args(argv)
    fresh = render(public_document())
    if not args.check:
        DOCUMENT.write_text(fresh)
        print(f"wrote {DOCUMENT}")
        return 0
    committed = DOCUMENT.read_text() if DOCUMENT.exists() else ""
    if committed == fresh:
        print("gateway/openapi.json is in step with the code")
        return 0
    diff = difflib.unified_diff(
        committed.splitlines(), fresh.splitlines(), "committed", "from the code", lineterm=""
    )
    print("\n".join(diff), file=sys.stderr)
    print("gateway/openapi.json drifted: run `uv run python -m gateway.entrypoints.openapi`", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
