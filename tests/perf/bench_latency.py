"""End-to-end latency in the distributed mode: a signed hire accepted by the gateway -> its contract signed in
contracts' read model, at a sustained rate; a completion accepted -> the payslip in payroll's read model;
and the highest rate whose p99 stays under 1 s.

    uv run python -m tests.perf latency    # BENCH_LATENCY_SECONDS (10 per step), BENCH_LATENCY_RATE (200)

Every service and the gateway run as their own processes over Kafka (tests.e2e.deployments.distributed).
The load generator (tests/perf/hire_load.py) is a process of its own on loopback: one hire per signed
message, sent at a fixed rate whatever the answers' speed, each answer's time written out. Meanwhile this
process polls contract_directory every 20 ms for the contracts of the hires sent so far (each hire has an
association of its own, so the row says which hire it is): latency = first poll that sees the contract
signed - the gateway's 202 at the generator (both wall clock, one machine; the poll adds 10 ms on average).
The first step is the rate asked for; then the rate doubles while the p99 stays under 1 s, or halves until
it does, and once a rate under and one over are known, their midpoint is tried until they are within 20 %.
A step whose contracts are not all signed within a minute after its last send counts as over; the
next step starts once the backlog has drained (at most BENCH_LATENCY_BACKLOG, 600 s, else no next step).
Each step also reads the CPU the services, PostgreSQL and Kafka spent from its start until its contracts were
all signed (/proc, tests/perf/process_cpu.py), per hire; the figure is that of the fastest step under 1 s
(what the consumers behind, billing's and payroll's, had not done by then is not in it).
Payslips: hires that start BENCH_LATENCY_LEAD (120) s ahead, one minute of work each, then the work reported
and the contract completed through the gateway (generator again), payslip seen in payroll's `payslips`.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from tests.e2e.deployments import Deployment, _start_processes, _stop_processes, _until_ready, fresh_database
from tests.e2e.test_hires import association, members
from tests.perf.hire_load import employer_id
from tests.perf.process_cpu import CpuMeter
from tests.perf.table import Figure, Target, load_average

SECONDS = float(os.environ.get("BENCH_LATENCY_SECONDS", "10"))
RATE = float(os.environ.get("BENCH_LATENCY_RATE", "200"))
# At most one contract per person (20 members): the work of all of them is the same minute, and a person
# works for one employer at a time (contracts-svc refuses an overlapping work report).
PAYSLIPS = min(20, int(os.environ.get("BENCH_LATENCY_PAYSLIPS", "20")))
POLL = 0.02
DRAIN = 60.0
MAX_STEPS = int(os.environ.get("BENCH_LATENCY_MAX_STEPS", "6"))  # 0: the payslip phase only
BISECT_GAP = 0.2  # the highest rate under a p99 of 1 s is found to within 20 %
STARTUP = 600.0
BACKLOG = float(os.environ.get("BENCH_LATENCY_BACKLOG", "600"))
LEAD = float(os.environ.get("BENCH_LATENCY_LEAD", "120"))  # seconds from the hires to the work
PARIS = ZoneInfo("Europe/Paris")
SCOPES = ("members:read", "members:write", "contracts:read", "contracts:write", "payslips:read")


@dataclass(frozen=True)
class Step:
    rate: float  # asked
    sent_rate: float  # the generator's actual sending rate
    accepted: int
    seen: int
    latencies_ms: list[float]
    statuses: str = ""  # the generator's answers, by HTTP status
    cpu_ms_per_hire: dict[str, float] = field(default_factory=dict)  # by process group, step to drained

    @property
    def complete(self) -> bool:
        return self.accepted > 0 and self.seen == self.accepted

    def quantile(self, q: int) -> float:
        if len(self.latencies_ms) < 2:
            return float("inf")
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[q - 1]

    @property
    def p99_ms(self) -> float:
        return self.quantile(99) if self.complete else float("inf")


async def _generate(plan: dict[str, Any], scratch: Path) -> list[dict[str, Any]]:
    plan_file, results = (
        scratch / f"plan-{uuid.uuid4().hex}.json",
        scratch / f"results-{uuid.uuid4().hex}.jsonl",
    )
    plan_file.write_text(json.dumps(plan))
    generator = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.perf.hire_load", str(plan_file), str(results)
    )
    if await generator.wait() != 0:
        raise RuntimeError("the load generator failed")
    return [json.loads(line) for line in results.read_text().splitlines()]


async def _observe(
    conn: asyncpg.Connection, query: str, keys: list[Any], rate: float, done: asyncio.Future[Any]
) -> dict[Any, float]:
    """Poll for the keys sent so far (the generator's pace says which) until all seen or the drain is over."""
    seen: dict[Any, float] = {}
    started = time.time()
    deadline: float | None = None
    while len(seen) < len(keys):
        if done.done() and deadline is None:
            deadline = time.time() + DRAIN
        if deadline is not None and time.time() > deadline:
            break
        due = min(len(keys), int((time.time() - started) * rate) + int(rate) + 1)
        pending = [k for k in keys[:due] if k not in seen]
        if pending:
            found = await conn.fetch(query, pending)
            now = time.time()
            for row in found:
                seen.setdefault(row[0], now)
        await asyncio.sleep(POLL)  # the poll period of the observer, not a wait for an outcome
    return seen


@asynccontextmanager
async def distributed(server: str, bootstrap: str, logs: Path) -> AsyncIterator[Deployment]:
    """tests.e2e's distributed deployment, given the time five processes take to start on a loaded machine."""
    async with fresh_database(server) as url:
        processes, ports = _start_processes(url, bootstrap, logs)
        try:
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{ports['gateway']}", timeout=60
            ) as client:
                deployment = Deployment("distributed", url, client, processes, ports, logs)
                await _until_ready(deployment, within=STARTUP)
                yield deployment
        finally:
            await asyncio.to_thread(_stop_processes, processes)


_SIGNED = (
    "SELECT employer_id FROM contracts.contract_directory"
    " WHERE tenant = 'smartfr' AND employer_id = ANY($1) AND status = 'signed'"
)
_PAYSLIPS = "SELECT contract_id FROM payroll.payslips WHERE tenant = 'smartfr' AND contract_id = ANY($1)"


class Bench:
    def __init__(self, deployment: Deployment, conn: asyncpg.Connection, scratch: Path) -> None:
        self.deployment, self.conn, self.scratch = deployment, conn, scratch
        self.run = uuid.uuid4().hex[:8]
        self.next_hire = 0
        self.base: dict[str, Any] = {}

    async def prepare(self) -> None:
        key = await self.deployment.api_key("smartfr", *SCOPES)
        sender = await association(self.deployment)
        people = await members(self.deployment, key, 20)
        self.base = {
            "base_url": str(self.deployment.gateway.base_url),
            "api_key": sender.api_key,
            "secret": sender.secret,
            "run": self.run,
            "members": people,
        }
        self.key = key

    async def hires(self, rate: float, count: int, starts_at: datetime) -> tuple[Step, list[uuid.UUID]]:
        first, self.next_hire = self.next_hire, self.next_hire + count
        plan = {
            **self.base,
            "mode": "hire",
            "rate": rate,
            "count": count,
            "first": first,
            "starts_at": starts_at.isoformat(),
            "ends_on": starts_at.astimezone(PARIS).date().isoformat(),
        }
        employers = [employer_id(self.run, n) for n in range(first, first + count)]
        generating = asyncio.ensure_future(_generate(plan, self.scratch))
        seen = await _observe(self.conn, _SIGNED, employers, rate, generating)
        results = await generating
        sending = results.pop()["sending_seconds"]
        accepted = {r["n"]: r["answered"] for r in results if r.get("status") == 202}
        latencies = [
            (seen[employers[n - first]] - answered) * 1000
            for n, answered in accepted.items()
            if employers[n - first] in seen
        ]
        step = Step(
            rate,
            count / sending if sending else rate,
            len(accepted),
            len(latencies),
            latencies,
            _statuses(results),
        )
        return step, [employers[n - first] for n in accepted]

    async def drained(self, employers: list[uuid.UUID]) -> bool:
        """Every contract of the step signed (a step must not start behind the last one's backlog)."""
        deadline = time.monotonic() + BACKLOG
        while time.monotonic() < deadline:
            signed = await self.conn.fetchval(
                "SELECT count(*) FROM contracts.contract_directory WHERE tenant = 'smartfr'"
                " AND employer_id = ANY($1) AND status = 'signed'",
                employers,
            )
            if signed == len(employers):
                return True
            await asyncio.sleep(1.0)  # polling the read model while the backlog drains
        return False

    async def payslips(self) -> Step:
        """Hires starting LEAD seconds ahead, a minute of work each, then reported and completed at 20/s."""
        starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=LEAD)
        hired, employers = await self.hires(10.0, PAYSLIPS, starts_at)
        print(_line("hires for the payslips", hired), flush=True)
        rows = await self.conn.fetch(
            "SELECT contract_id FROM contracts.contract_directory WHERE tenant = 'smartfr'"
            " AND employer_id = ANY($1) AND status = 'signed'",
            employers,
        )
        contracts = [r[0] for r in rows]
        ends_at = starts_at + timedelta(minutes=1)
        # Work is reported once done: wait for the clock to pass the end of the minute of work.
        await asyncio.sleep(max(0.0, (ends_at - datetime.now(UTC)).total_seconds() + 1))
        plan = {
            "mode": "complete",
            "base_url": self.base["base_url"],
            "api_key": self.key,
            "contracts": [str(c) for c in contracts],
            "work": {"periods": [{"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()}]},
            "completed_on": starts_at.astimezone(PARIS).date().isoformat(),
            "rate": 20.0,
        }
        generating = asyncio.ensure_future(_generate(plan, self.scratch))
        seen = await _observe(self.conn, _PAYSLIPS, contracts, 20.0, generating)
        results = await generating
        results.pop()
        accepted = {uuid.UUID(r["contract_id"]): r["answered"] for r in results if r.get("status") == 200}
        latencies = [(seen[c] - answered) * 1000 for c, answered in accepted.items() if c in seen]
        return Step(20.0, 20.0, len(accepted), len(latencies), latencies, _statuses(results))


def _next_rate(steps: list[Step]) -> float | None:
    """Double while under a p99 of 1 s, halve while over; once both are seen, the midpoint of the highest
    rate under and the lowest over, until they are within BISECT_GAP of each other (None: done)."""
    under = [s.rate for s in steps if s.p99_ms < 1000]
    over = [s.rate for s in steps if s.p99_ms >= 1000]
    if not over:
        return steps[-1].rate * 2
    if not under:
        return steps[-1].rate / 2
    low, high = max(under), min(over)
    if high <= low * (1 + BISECT_GAP):
        return None
    return float(round((low + high) / 2))


def _per_hire(spent: dict[str, float], hires: int) -> dict[str, float]:
    return {group: 1000 * seconds / hires for group, seconds in spent.items()} if hires else {}


def _cpu_split(step: Step) -> str:
    by_cost = sorted(step.cpu_ms_per_hire.items(), key=lambda item: -item[1])
    return ", ".join(f"{group} {ms:.1f}" for group, ms in by_cost)


def _statuses(results: list[dict[str, Any]]) -> str:
    counted = Counter(str(r.get("status")) for r in results)
    errors = [r["error"] for r in results if "error" in r][:1]
    return " ".join(f"{status}: {n}" for status, n in sorted(counted.items())) + "".join(
        f" ({e})" for e in errors
    )


def _line(what: str, step: Step) -> str:
    return (
        f"  {what:<34} asked {step.rate:6.0f}/s sent {step.sent_rate:6.0f}/s accepted {step.accepted:6d}"
        f" seen {step.seen:6d}  p50 {step.quantile(50):8.1f} ms  p99 {step.p99_ms:8.1f} ms  {step.statuses}"
    )


async def bench() -> list[Figure]:
    server = os.environ.get("BACKOFFICE_BENCH_DATABASE_URL") or os.environ["BACKOFFICE_TEST_DATABASE_URL"]
    bootstrap = (
        os.environ.get("BACKOFFICE_BENCH_KAFKA_BOOTSTRAP") or os.environ["BACKOFFICE_TEST_KAFKA_BOOTSTRAP"]
    )
    os.environ["GATEWAY_RATE_LIMIT_QUOTA"] = "1000000000"
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as scratch:
        async with distributed(server, bootstrap, Path(scratch)) as deployment:
            conn = await asyncpg.connect(deployment.database_url)
            try:
                bench = Bench(deployment, conn, Path(scratch))
                await bench.prepare()
                later = datetime.now(UTC) + timedelta(days=2)
                await bench.hires(10, 20, later)  # warm-up: connections, caches, the group settled
                steps: list[Step] = []
                rate = RATE
                meter = CpuMeter({name: p.pid for name, p in deployment.processes.items()})
                while len(steps) < MAX_STEPS:
                    cpu_before = meter.reading()
                    step, employers = await bench.hires(rate, int(rate * SECONDS), later)
                    drained = await bench.drained(employers)
                    step = replace(step, cpu_ms_per_hire=_per_hire(meter.since(cpu_before), step.accepted))
                    steps.append(step)
                    print(_line(f"hire -> contract signed, step {len(steps)}", step), flush=True)
                    print(f"    CPU a hire, ms: {_cpu_split(step)}", flush=True)
                    if not drained:
                        print(
                            f"  the backlog did not drain within {BACKLOG:.0f} s: no further step", flush=True
                        )
                        break
                    following = _next_rate(steps)
                    if following is None:
                        break
                    rate = following
                paid = await bench.payslips()
                print(_line("completion -> payslip", paid), flush=True)
            finally:
                await conn.close()
    payslip_figures = [
        Figure(
            "completion -> payslip issued, p50",
            paid.quantile(50),
            "ms",
            reference=f"{paid.seen} of {paid.accepted}",
        ),
        Figure(
            "completion -> payslip issued, p99",
            paid.p99_ms,
            "ms",
            reference=f"{paid.seen} of {paid.accepted}",
        ),
    ]
    if not steps:
        return payslip_figures
    first = steps[0]
    sustained = [s.rate for s in steps if s.p99_ms < 1000]
    # What a hire costs, measured in the fastest step that kept up (a saturated one's batches are larger).
    costed = max((s for s in steps if s.p99_ms < 1000), key=lambda s: s.rate, default=first)
    reference = (
        f"sent {first.sent_rate:.0f}/s, {first.accepted} accepted, {first.seen} seen; load {load_average()}"
    )
    return [
        Figure(
            f"hire -> contract signed, p50 at {first.rate:.0f}/s",
            first.quantile(50),
            "ms",
            Target.below(100),
            reference,
        ),
        Figure(
            f"hire -> contract signed, p99 at {first.rate:.0f}/s",
            first.p99_ms,
            "ms",
            Target.below(500),
            reference,
        ),
        Figure(
            "highest rate stepped with p99 < 1 s",
            max(sustained, default=0.0),
            "hires/s",
            Target.at_least(first.rate),
            "; ".join(f"{s.rate:.0f}/s: p99 {s.p99_ms:.0f} ms" for s in steps),
        ),
        Figure(
            f"CPU a hire, all processes, at {costed.rate:.0f}/s",
            sum(costed.cpu_ms_per_hire.values()),
            "ms",
            reference=f"{_cpu_split(costed)} (from the step's start until its contracts are all signed)",
        ),
        *payslip_figures,
    ]


def main() -> list[Figure]:
    return asyncio.run(bench())
