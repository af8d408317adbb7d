"""Runs every `bench_*.py` module of this package (each has a `main()`), or those named in argv."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import tests.perf


def main(argv: list[str]) -> None:
    names = sorted(m.name for m in pkgutil.iter_modules(tests.perf.__path__) if m.name.startswith("bench_"))
    chosen = [n for n in names if not argv or any(a in n for a in argv)]
    for name in chosen:
        print(f"\n== {name} ==", flush=True)
        importlib.import_module(f"tests.perf.{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
