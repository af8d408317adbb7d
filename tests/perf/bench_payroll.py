"""The payroll engine alone, then a month's payroll in distributed mode.

    uv run python -m tests.perf payroll     # BENCH_CONTRACTS (default 10,000), BENCH_ROUNDS (default 3),
                                            # BENCH_PAYROLL_MONTH (completions, default 10,000; 0 skips it)

The engine: pure computation in one process, no I/O: a seeded mix of CDI, CDD, CDDU and portage contracts,
full and incomplete months, part time, cadres and non-cadres, every headcount band, some intermittents.
Target: at least 5,000 payslips/s. The gross-from-budget solve (a bisection, ~17 payslips each) is measured
too, on a tenth of the population.

The month: payroll-svc worker processes (`serve payroll --role worker`, Kafka bus, a fresh database), fed
the contracts' completions (contracts.ContractCompleted v1, keyed by contract, as contracts-svc's relay sends
them) all at once, timed from the first one sent to the last payslip issued. Target: under 30 s for 10,000.
Three runs side by side: one worker committing each completion alone (the reference, as before ADR 022), one
worker as configured (completions committed together), two workers of the group.
Then the consumer's handler is profiled in this process on a few hundred completions (cProfile), to say where
the time of one message goes.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import os
import platform
import pstats
import random
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import asyncpg

from payroll_svc.bootstrap import build
from payroll_svc.config import Settings
from payroll_svc.domain.payroll import (
    ContractType,
    HeadcountBand,
    Intermittent,
    PayInput,
    PortageLevel,
    Status,
    compute_payslip,
    gross_for_budget,
    parameters_on,
)
from payroll_svc.entrypoints.definition import definition as payroll_definition
from services.db import create_pool, migrate
from services.eventstore.store import EventStore
from services.runtime import Resources
from tests.e2e.deployments import fresh_database
from tests.perf.payroll_workers import (
    TOPIC,
    completion,
    outcome,
    partition_count,
    payslips_made,
    send,
    start_worker,
    until,
)
from tests.perf.table import Figure, Target, cpu_seconds, load_average

CONTRACTS = int(os.environ.get("BENCH_CONTRACTS", "10000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
TARGET = 5000
MONTH = int(os.environ.get("BENCH_PAYROLL_MONTH", "10000"))
PROFILED = 300
SORT = os.environ.get("BENCH_PROFILE_SORT", "cumulative")


def population(size: int, seed: int = 20261126) -> list[PayInput]:
    rng = random.Random(seed)
    period = date(2026, rng.choice(range(1, 13)), 1)
    people = []
    for _ in range(size):
        kind = rng.choices(
            [ContractType.CDDU, ContractType.CDD, ContractType.CDI, ContractType.PORTAGE], [60, 15, 20, 5]
        )[0]
        short = kind in (ContractType.CDDU, ContractType.CDD)
        days = rng.randint(1, 20) if short else None
        hours = Decimal(days * 7) if days else Decimal("151.67")
        gross = rng.randint(12_00, 40_00) * int(hours) if short else rng.randint(1_823_03, 9_000_00)
        intermittent = rng.random() < 0.1 and kind is ContractType.CDDU
        people.append(
            PayInput(
                period=period,
                status=rng.choice(list(Status)),
                contract_type=kind,
                headcount=rng.choice(list(HeadcountBand)),
                accident_at_work_rate=Decimal(rng.choice(["0.007", "0.009", "0.0125", "0.021"])),
                hours_paid=hours,
                gross_pay_cents=max(gross, 3_404_25) if kind is ContractType.PORTAGE else gross,
                calendar_days=days,
                working_time_ratio=Decimal(rng.choice(["1", "1", "0.8", "0.5"])) if not short else Decimal(1),
                ends_in_period=short,
                ceiling_used_elsewhere_cents=rng.choice([0, 0, 0, 100_000]),
                intermittent=rng.choice(list(Intermittent)) if intermittent else None,
                employer_is_association=intermittent,
                portage_level=PortageLevel.FORFAIT_JOURS if kind is ContractType.PORTAGE else None,
            )
        )
    return people


def main() -> list[Figure]:
    figures = engine()
    if MONTH > 0:
        # The reference, in the same run: the same worker committing each completion on its own (as before
        # ADR 022), then as configured (completions committed together).
        figures += asyncio.run(
            month_distributed(MONTH, ONE_PER_TRANSACTION, "one completion per transaction")
        )
        figures += asyncio.run(month_distributed(MONTH))
        figures += asyncio.run(month_distributed(MONTH, workers=2))
        asyncio.run(profile_handler(PROFILED))
    return figures


def engine() -> list[Figure]:
    people = population(CONTRACTS)
    parameters_on(people[0].period)  # the tables are read once per period, outside the timing
    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs")
    print(
        f"load average before: {os.getloadavg()[0]:.2f} (the machine is shared: CPU time is the fair figure)"
    )
    rates, cpu_rates = [], []
    for _ in range(ROUNDS):
        started, cpu_started = time.perf_counter(), time.process_time()
        payslips = [compute_payslip(pay) for pay in people]
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        rates.append(len(payslips) / elapsed)
        cpu_rates.append(len(payslips) / cpu)
    lines = sum(len(payslip.lines) for payslip in payslips) / len(payslips)
    median, cpu_median = statistics.median(rates), statistics.median(cpu_rates)
    print(f"payslips: {CONTRACTS} contracts, {lines:.1f} lines each on average")
    print(f"payslips/s (wall): median {median:,.0f}, best {max(rates):,.0f} over {ROUNDS} rounds")
    print(
        f"payslips per CPU-second: median {cpu_median:,.0f}, best {max(cpu_rates):,.0f} (target {TARGET:,})"
    )

    budgets = [replace(pay, gross_pay_cents=0) for pay in people[: CONTRACTS // 10]]
    started = time.perf_counter()
    for pay, original in zip(budgets, payslips, strict=False):
        gross_for_budget(pay, original.employer_cost_cents)
    elapsed = time.perf_counter() - started
    solves = len(budgets) / elapsed
    print(f"budget solves/s: {solves:,.0f} ({len(budgets)} solves)")
    print("target met" if cpu_median >= TARGET else "TARGET NOT MET")
    load = f"load average {load_average()}"
    return [
        Figure("payslips per CPU-second, engine alone", cpu_median, "/s", Target.at_least(TARGET), load),
        Figure("payslips/s wall clock, engine alone", median, "/s", None, load),
        Figure("budget solves/s wall clock", solves, "/s", None, load),
    ]


def _servers() -> tuple[str, str]:
    server = os.environ.get("BACKOFFICE_BENCH_DATABASE_URL") or os.environ["BACKOFFICE_TEST_DATABASE_URL"]
    bootstrap = (
        os.environ.get("BACKOFFICE_BENCH_KAFKA_BOOTSTRAP") or os.environ["BACKOFFICE_TEST_KAFKA_BOOTSTRAP"]
    )
    return server, bootstrap


ONE_PER_TRANSACTION = {"PAYROLL_PAYSLIPS_MESSAGES_PER_TRANSACTION": "1"}


async def month_distributed(
    count: int, settings: dict[str, str] | None = None, how: str = "", workers: int = 1
) -> list[Figure]:
    """Seconds from the first of `count` completions sent to the last payslip issued, `workers` processes
    of one consumer group sharing the topic's partitions."""
    server, bootstrap = _servers()
    with tempfile.TemporaryDirectory(prefix="bench-payroll-") as logs:
        async with fresh_database(server) as url:
            started_workers = [
                start_worker(url, bootstrap, Path(logs), f"month-{n}", settings=settings)
                for n in range(workers)
            ]
            pids = tuple(w.process.pid for w in started_workers)
            try:
                for worker in started_workers:
                    await worker.ready()
                every = {f"{TOPIC}:{p}" for p in range(await partition_count(bootstrap))}

                async def subscribed() -> bool:
                    held = [await w.partitions() or set() for w in started_workers]
                    return all(held) and set().union(*held) == every

                await until(subscribed, within=180, what="the workers share every partition")
                contract_ids = [uuid4() for _ in range(count)]
                envelopes = [completion(c) for c in contract_ids]
                load_before = load_average()
                worker_cpu, database_cpu = cpu_seconds(pids=pids), cpu_seconds("postgres")
                started = time.perf_counter()
                sent_in = await send(bootstrap, envelopes)

                async def issued() -> bool:
                    return await payslips_made(url) >= count

                await until(issued, within=max(600.0, count / 5), what=f"{count} payslips", poll=0.5)
                elapsed = time.perf_counter() - started
                worker_cpu = cpu_seconds(pids=pids) - worker_cpu
                database_cpu = cpu_seconds("postgres") - database_cpu
                made = await outcome(url, contract_ids, [e.event_id for e in envelopes])
            finally:
                for worker in started_workers:
                    worker.stop()
    load = f"load average {load_before} before, {load_average()} after"
    worker_kind = f"{workers} worker{'s' if workers > 1 else ''}" + (f", {how}" if how else "")
    print(f"month, distributed, {worker_kind}: {count} completions sent in {sent_in:.1f} s,", end=" ")
    print(f"last payslip at {elapsed:.1f} s")
    print(f"  {made} ({load})")
    print(
        f"  CPU per completion: workers {worker_cpu / count * 1000:.2f} ms,"
        f" PostgreSQL (every backend) {database_cpu / count * 1000:.2f} ms"
    )
    assert (made.payslips, made.salaries, made.dead_letters) == (count, count, 0), made
    return [
        Figure(
            f"a month of {count:,} completions -> last PayslipIssued, {worker_kind}",
            elapsed,
            "s",
            Target.below(30.0) if count >= 10_000 and not how else None,
            load,
        ),
        Figure(f"payslips/s, distributed, {worker_kind}", count / elapsed, "/s", None, load),
    ]


async def profile_handler(count: int) -> None:
    """Where one message's time goes: the consumer's handler in this process on the real PostgreSQL."""
    server, _ = _servers()
    async with fresh_database(server) as url:
        definition = payroll_definition()
        admin = await asyncpg.connect(url)
        try:
            await migrate(admin, "payroll", definition.migrations_to_apply())
        finally:
            await admin.close()
        pool = await create_pool(url, "payroll")
        try:
            resources = Resources(Settings(database_url=url, db_schema="payroll"), pool, EventStore(pool))
            payroll = build(resources)
            envelopes = [completion(uuid4()) for _ in range(count + 1)]
            async with pool.acquire() as conn, conn.transaction():  # one-time costs (the holiday tables)
                await payroll.on_contracts_event(conn, envelopes.pop())
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.enable()
            for envelope in envelopes:
                async with pool.acquire() as conn, conn.transaction():
                    await payroll.on_contracts_event(conn, envelope)
            profiler.disable()
            elapsed = time.perf_counter() - started
        finally:
            await pool.close()
    print(f"handler in process: {count / elapsed:,.0f} completions/s ({elapsed / count * 1000:.1f} ms each)")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(SORT).print_stats(45)
    print(out.getvalue())


if __name__ == "__main__":
    main()
