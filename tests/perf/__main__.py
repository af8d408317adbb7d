"""Runs every `bench_*.py` module of this package (each has a `main()`), or those named in argv.

Benchmarks use BACKOFFICE_BENCH_DATABASE_URL / BACKOFFICE_BENCH_KAFKA_BOOTSTRAP when set (or the test
variables); otherwise `make bench` starts a private PostgreSQL and Kafka broker for the run and stops them.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

import tests.perf
from services.testkit.infrastructure import Infrastructure


def _given(*names: str) -> bool:
    return any(os.environ.get(name) for name in names)


def _provide_servers(infrastructure: Infrastructure) -> None:
    if not _given("BACKOFFICE_BENCH_DATABASE_URL", "BACKOFFICE_TEST_DATABASE_URL"):
        os.environ["BACKOFFICE_BENCH_DATABASE_URL"] = infrastructure.postgres().url
    if not _given("BACKOFFICE_BENCH_KAFKA_BOOTSTRAP", "BACKOFFICE_TEST_KAFKA_BOOTSTRAP"):
        os.environ["BACKOFFICE_BENCH_KAFKA_BOOTSTRAP"] = infrastructure.kafka().bootstrap


def main(argv: list[str]) -> None:
    names = sorted(m.name for m in pkgutil.iter_modules(tests.perf.__path__) if m.name.startswith("bench_"))
    chosen = [n for n in names if not argv or any(a in n for a in argv)]
    infrastructure = Infrastructure()
    try:
        _provide_servers(infrastructure)
        for name in chosen:
            print(f"\n== {name} ==", flush=True)
            importlib.import_module(f"tests.perf.{name}").main()
    finally:
        infrastructure.close()


if __name__ == "__main__":
    main(sys.argv[1:])
