"""Payslip throughput with 1 and 2 instances of payroll-svc's worker in one consumer group, in the same run.

    uv run python -m tests.perf scale_out     # BENCH_SCALE_OUT_CONTRACTS (default 1,000 x BENCH_SCALE)

For each count of instances: a fresh database, the workers started (`serve payroll --role worker`), held
until the group has settled (every partition held, nothing left to acknowledge), then the completions of
new contracts sent at once (ContractCompleted v1, keyed by contract, as contracts-svc's relay sends them)
and timed until every one has its payslip in the read model. Everything runs on this machine: PostgreSQL and
Kafka share its cores with the workers, so the ratio says more than the rates.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from uuid import uuid4

from tests.e2e.deployments import fresh_database
from tests.perf.payroll_workers import (
    TOPIC,
    Worker,
    completion,
    partition_count,
    payslips_made,
    send,
    start_worker,
    until,
)
from tests.perf.table import Figure, Target, load_average, scale

CONTRACTS = int(os.environ.get("BENCH_SCALE_OUT_CONTRACTS", str(1_000 * scale())))
SETTLING = 180.0


def _servers() -> tuple[str, str]:
    server = os.environ.get("BACKOFFICE_BENCH_DATABASE_URL") or os.environ["BACKOFFICE_TEST_DATABASE_URL"]
    bootstrap = (
        os.environ.get("BACKOFFICE_BENCH_KAFKA_BOOTSTRAP") or os.environ["BACKOFFICE_TEST_KAFKA_BOOTSTRAP"]
    )
    return server, bootstrap


async def _settled(workers: list[Worker], every: set[str]) -> bool:
    held: set[str] = set()
    for worker in workers:
        consumer = await worker.consumer()
        if not consumer["subscribed"] or not consumer["partitions"] or consumer["lag_messages"]:
            return False
        held |= set(consumer["partitions"])
    return held == every


async def throughput(instances: int) -> tuple[float, float]:
    """(payslips per second, load average over the run's last minute) with `instances` workers."""
    server, bootstrap = _servers()
    with tempfile.TemporaryDirectory(prefix="bench-scale-out-") as logs:
        async with fresh_database(server) as url:
            workers = [start_worker(url, bootstrap, Path(logs), str(n)) for n in range(instances)]
            try:
                for worker in workers:
                    await worker.ready()
                every = {f"{TOPIC}:{p}" for p in range(await partition_count(bootstrap))}

                async def settled() -> bool:
                    return await _settled(workers, every)

                await until(settled, within=SETTLING, what=f"{instances} worker(s) settled in the group")
                contract_ids = [uuid4() for _ in range(CONTRACTS)]
                envelopes = [completion(c) for c in contract_ids]
                started = time.perf_counter()
                await send(bootstrap, envelopes)

                async def done() -> bool:
                    return await payslips_made(url) >= CONTRACTS

                await until(done, within=CONTRACTS, what=f"{CONTRACTS} payslips", poll=0.2)
                return CONTRACTS / (time.perf_counter() - started), os.getloadavg()[0]
            finally:
                for worker in workers:
                    worker.stop()


def main() -> list[Figure]:
    print(f"{CONTRACTS} completed contracts per run; load average {load_average()}", flush=True)
    one, load_one = asyncio.run(throughput(1))
    print(f"  1 instance : {one:8.1f} payslips/s (load {load_one:.1f})", flush=True)
    two, load_two = asyncio.run(throughput(2))
    print(f"  2 instances: {two:8.1f} payslips/s (load {load_two:.1f})", flush=True)
    return [
        Figure("payslips/s, 1 worker instance", one, "/s", reference=f"load average {load_one:.1f}"),
        Figure("payslips/s, 2 worker instances", two, "/s", reference=f"load average {load_two:.1f}"),
        Figure(
            "2 instances / 1 instance",
            two / one,
            "x",
            Target.at_least(1.5),
            f"{one:.0f}/s with 1, same run, {CONTRACTS} contracts each",
        ),
    ]
