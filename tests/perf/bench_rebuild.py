"""Projection rebuild time for each read model: emptied and replayed from the service's whole event store.

    uv run python -m tests.perf rebuild    # BENCH_REBUILD_DEMO_SCALE (0.1 x BENCH_SCALE), BENCH_REBUILD_HIRES

A fresh database; the embedded back-office loads the demo population (members, shares, associations; a tenth
of the seed's by default) through the gateway, and an association pushes hires in signed batches of 500
(2,000 x BENCH_SCALE contracts: about half a year of the seed's) until every contract is signed. Then, the
back-office stopped, each service that keeps projections (members-svc, contracts-svc, and billing-svc and
payroll-svc, whose read models their commands write in their transactions but an inline projection rebuilds,
ADR 028) is started without background work and each of its projections is rebuilt from zero
(`ProjectionRunner.rebuild`: reset, replay in pages of 500), timed.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

from backoffice.catalogue import SERVICES
from backoffice.credentials import ensure_dev_credentials
from backoffice.demo import DEMO_NOMINALS, generate, load
from backoffice.embedded import EmbeddedBackoffice
from services.projection import ProjectionRunner
from services.runtime import ServiceRuntime
from tests.e2e.deployments import Deployment, fresh_database
from tests.e2e.test_hires import association, employer, hire, members
from tests.perf.payroll_workers import until
from tests.perf.table import Figure, load_average, scale

DEMO_SCALE = float(os.environ.get("BENCH_REBUILD_DEMO_SCALE", str(0.1 * scale())))
HIRES = int(os.environ.get("BENCH_REBUILD_HIRES", str(2_000 * scale())))
BATCH = 500
REBUILT = ("members", "contracts", "billing", "payroll")  # the services with projections, live or inline
WITHIN = 1800.0


async def _populate(url: str) -> str:
    backoffice = EmbeddedBackoffice(
        url, poll_interval=0.2, rate_limit_quota=1_000_000_000, share_nominals=dict(DEMO_NOMINALS)
    )
    await backoffice.start()
    try:
        keys = await ensure_dev_credentials(backoffice.gateway.pool, Path(tempfile.mkdtemp()) / "keys.json")
        transport = httpx.ASGITransport(app=backoffice.gateway.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=120) as gateway:
            report = await load(gateway, keys, generate(scale=DEMO_SCALE))
            deployment = Deployment("embedded", url, gateway)
            key = await deployment.api_key("smartfr", "members:read", "members:write", "contracts:read")
            sender = await association(deployment)
            people = await members(deployment, key, 20)
            starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
            structure = employer()
            for first in range(0, HIRES, BATCH):
                batch = {
                    "employer": structure,
                    "hires": [
                        hire(f"R-{n:06d}", people[n % len(people)], starts_at)
                        for n in range(first, min(HIRES, first + BATCH))
                    ],
                }
                body = json.dumps(batch).encode()
                pushed = await gateway.post("/v1/webhooks/hires", content=body, headers=sender.headers(body))
                assert pushed.status_code == 202, pushed.text

            async def all_signed() -> bool:
                signed = await deployment.fetchval(
                    "contracts",
                    "SELECT count(*) FROM contract_directory WHERE status = 'signed' AND employer_id = $1",
                    structure["id"],
                )
                return signed == HIRES

            await until(all_signed, within=WITHIN, what=f"{HIRES} contracts signed", poll=0.5)
        return f"{sum(report.members.values()):,} members, {report.structures} associations, {HIRES:,} hires"
    finally:
        await backoffice.stop()


async def _rebuild(url: str) -> list[tuple[str, int, float]]:
    """(service.read model, events replayed, seconds) for every projection."""
    timings = []
    for name in REBUILT:
        one = SERVICES[name]
        runtime = ServiceRuntime(one.definition(), one.settings(database_url=url))
        await runtime.start(background=False)
        try:
            projections = runtime.definition.rebuildable(runtime.service)
            runner = ProjectionRunner(runtime.pool, projections, schema=runtime.settings.db_schema)
            for projection in projections:
                started = time.perf_counter()
                replayed = await runner.rebuild(projection)
                timings.append((f"{name}.{projection.name}", replayed, time.perf_counter() - started))
        finally:
            await runtime.stop()
    return timings


async def bench() -> list[Figure]:
    server = os.environ.get("BACKOFFICE_BENCH_DATABASE_URL") or os.environ["BACKOFFICE_TEST_DATABASE_URL"]
    async with fresh_database(server) as url:
        started = time.perf_counter()
        population = await _populate(url)
        print(f"populated in {time.perf_counter() - started:.0f} s: {population}", flush=True)
        conn = await asyncpg.connect(url)
        try:
            for schema in REBUILT:
                count = await conn.fetchval(f"SELECT count(*) FROM {schema}.events")
                print(f"  {schema}.events: {count:,}", flush=True)
        finally:
            await conn.close()
        timings = await _rebuild(url)
    figures = []
    for read_model, replayed, seconds in timings:
        print(f"  {read_model:<40} {replayed:>9,} events {seconds:8.2f} s", flush=True)
        figures.append(
            Figure(
                f"rebuild {read_model}",
                seconds,
                "s",
                reference=f"{replayed:,} events, {replayed / seconds:,.0f} events/s; {population}; "
                f"load {load_average()}",
            )
        )
    return figures


def main() -> list[Figure]:
    return asyncio.run(bench())
