"""Runs every `bench_*.py` module of this package (each has `main() -> list[Figure]`), or those named in argv,
then prints one table of their figures and writes it to docs/benchmarks.md (a dated section, newest first).

    uv run python -m tests.perf [names...]     # BENCH_SCALE=1|10, BENCH_WRITE=0 to leave the document alone

Benchmarks use BACKOFFICE_BENCH_DATABASE_URL / BACKOFFICE_BENCH_KAFKA_BOOTSTRAP when set (or the test
variables); otherwise a private PostgreSQL and Kafka broker are started for the run and stopped after it.
A benchmark that fails is reported in the table as failed and the others still run.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import traceback
from dataclasses import replace
from datetime import UTC, datetime

import tests.perf
from services.testkit.infrastructure import Infrastructure
from tests.perf.table import Figure, load_average, markdown, record, scale, section


def _given(*names: str) -> bool:
    return any(os.environ.get(name) for name in names)


def _provide_servers(infrastructure: Infrastructure) -> None:
    if not _given("BACKOFFICE_BENCH_DATABASE_URL", "BACKOFFICE_TEST_DATABASE_URL"):
        os.environ["BACKOFFICE_BENCH_DATABASE_URL"] = infrastructure.postgres().url
    if not _given("BACKOFFICE_BENCH_KAFKA_BOOTSTRAP", "BACKOFFICE_TEST_KAFKA_BOOTSTRAP"):
        os.environ["BACKOFFICE_BENCH_KAFKA_BOOTSTRAP"] = infrastructure.kafka().bootstrap


def run_one(name: str) -> list[Figure]:
    short = name.removeprefix("bench_")
    try:
        figures = importlib.import_module(f"tests.perf.{name}").main()
    except Exception as exc:  # one broken benchmark must not hide the others' figures
        traceback.print_exc()
        return [Figure("FAILED", 0, f"({type(exc).__name__}: {exc})"[:200], benchmark=short)]
    if not isinstance(figures, list):
        return [Figure("no figures returned (printed above only)", 0, "", benchmark=short)]
    return [replace(f, benchmark=short) for f in figures]


def main(argv: list[str]) -> None:
    names = sorted(m.name for m in pkgutil.iter_modules(tests.perf.__path__) if m.name.startswith("bench_"))
    chosen = [n for n in names if not argv or any(a in n for a in argv)]
    started, load_before = datetime.now(UTC), load_average()
    print(f"BENCH_SCALE={scale()}; load average before: {load_before}", flush=True)
    figures: list[Figure] = []
    infrastructure = Infrastructure()
    try:
        _provide_servers(infrastructure)
        for name in chosen:
            print(f"\n== {name} ==", flush=True)
            figures += run_one(name)
    finally:
        infrastructure.close()
    print(f"\n{markdown(figures)}")
    if os.environ.get("BENCH_WRITE", "1") != "0":
        record(
            section(
                figures,
                started=started,
                load_before=load_before,
                chosen=[c.removeprefix("bench_") for c in chosen],
            )
        )
        print("\nwritten to docs/benchmarks.md")


if __name__ == "__main__":
    main(sys.argv[1:])
