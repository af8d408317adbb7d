"""The GDC month closed for 150 associations and 4,000 payslips (issue 7: under 60 s).

    uv run python -m tests.perf gdc

billing-svc runs in process on a fresh database with its real consumers; the associations and payslips are
published as `members.EmployerStructureRegistered` and `payroll.PayslipIssued` events of the real schemas in
their producers' outboxes (the embedded bus). Two figures: how fast billing learns the payslips from the bus,
and the monthly run itself, timed from the POST-equivalent call to its answer: for each association the month
closed, its invoice drafted, finalised (numbered, Factur-X XML checked against the XSD and both schematrons on
the pool) and, for the 2 in 3 with a mandate, its pain.008 file built and XSD-checked. The run's result is
checked against the sums of what was published.
"""

from __future__ import annotations

import asyncio
import os
import platform
import random
import time
import uuid
from datetime import date
from decimal import Decimal

import asyncpg
from stdnum import luhn

from billing_svc.config import Settings
from billing_svc.domain.gdc import fee_cents
from billing_svc.domain.gdc.mandates import Debtor
from billing_svc.domain.invoicing.events import Address
from billing_svc.entrypoints.definition import definition
from billing_svc.gdc import Gdc
from services.runtime import ServiceRuntime
from tests.e2e.deployments import fresh_database
from tests.e2e.gdc_events import Payslip, employer_registered, payslip_issued, producer_outbox, publish
from tests.perf.table import Figure, Target

ASSOCIATIONS = int(os.environ.get("BENCH_GDC_ASSOCIATIONS", "150"))
PAYSLIPS = int(os.environ.get("BENCH_GDC_PAYSLIPS", "4000"))
WORKERS = int(os.environ.get("BENCH_GDC_WORKERS", str(os.cpu_count() or 2)))
TENANT = "smartfr"
FEE = Decimal("5")  # billing_svc/reference/gdc_fees.json
SIREN = "732829320"
LEARNT_WITHIN = 600.0


def _siret(n: int) -> str:
    without_key = f"{SIREN}{n:04d}"
    return without_key + luhn.calc_check_digit(without_key)


async def _count(url: str, query: str) -> int:
    conn = await asyncpg.connect(url, server_settings={"search_path": "billing"})
    try:
        return int(await conn.fetchval(query))
    finally:
        await conn.close()


async def _until_count(url: str, query: str, expected: int) -> None:
    deadline = time.monotonic() + LEARNT_WITHIN
    while await _count(url, query) < expected:
        assert time.monotonic() < deadline, f"{query} short of {expected} after {LEARNT_WITHIN}s"
        await asyncio.sleep(0.1)


async def bench() -> list[Figure]:
    server = os.environ.get("BACKOFFICE_BENCH_DATABASE_URL") or os.environ["BACKOFFICE_TEST_DATABASE_URL"]
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; {ASSOCIATIONS} "
        f"associations, {PAYSLIPS} payslips, {WORKERS} schematron workers"
    )
    rng = random.Random(20261201)
    employers = [uuid.uuid4() for _ in range(ASSOCIATIONS)]
    payslips = [
        Payslip(
            employers[n % ASSOCIATIONS],
            "2026-11",
            gross := rng.randrange(40_000, 450_000),
            gross + gross * rng.randrange(25, 45) // 100,
        )
        for n in range(PAYSLIPS)
    ]
    async with fresh_database(server) as url:
        for producer in ("payroll", "members"):
            await producer_outbox(url, producer)
        runtime = ServiceRuntime(
            definition(),
            Settings(database_url=url, bus="postgres", schematron_workers=WORKERS),
            poll_interval=0.2,
        )
        await runtime.start()
        try:
            gdc: Gdc = runtime.app.state.service.gdc
            await gdc.invoices.validator.warm_up()
            await publish(
                url,
                "members",
                [
                    employer_registered(TENANT, e, _siret(n), f"Association {n}")
                    for n, e in enumerate(employers)
                ],
            )
            await _until_count(url, "SELECT count(*) FROM gdc_associations", ASSOCIATIONS)
            with_mandate = employers[: ASSOCIATIONS * 2 // 3]
            for n, employer in enumerate(with_mandate):
                await gdc.sign_mandate(
                    employer,
                    reference=f"GDC-BENCH-{n:04d}",
                    signed_on=date(2026, 11, 2),
                    debtor=Debtor(
                        name=f"Association {n}",
                        address=Address(street=f"{n} rue des Arts", postal_code="69001", city="Lyon"),
                        iban="FR7630004000000002345678983",
                        bic=None,
                    ),
                    tenant=TENANT,
                    correlation_id="",
                )

            started = time.perf_counter()
            for first in range(0, PAYSLIPS, 500):
                await publish(
                    url, "payroll", [payslip_issued(TENANT, p) for p in payslips[first : first + 500]]
                )
            await _until_count(url, "SELECT count(*) FROM gdc_payslips", PAYSLIPS)
            learnt = time.perf_counter() - started

            load = os.getloadavg()[0]
            started = time.perf_counter()
            run = await gdc.run_month(date(2026, 12, 1), tenant=TENANT, correlation_id="")
            closed = time.perf_counter() - started
        finally:
            await runtime.stop()

    by_employer: dict[uuid.UUID, int] = {}
    for p in payslips:
        by_employer[p.employer_id] = by_employer.get(p.employer_id, 0) + p.employer_cost_cents
    expected = sum(cost + fee_cents(cost, FEE) for cost in by_employer.values())
    assert len(run.invoices) == ASSOCIATIONS, f"{len(run.invoices)} invoices for {ASSOCIATIONS} associations"
    assert sum(i.total_cents for i in run.invoices) == expected, "the invoices do not add up to the payslips"
    assert sum(1 for i in run.invoices if i.direct_debit_id) == len(with_mandate)
    print(f"payslips learnt from the bus: {PAYSLIPS / learnt:,.0f}/s ({learnt:.1f} s)")
    print(
        f"GDC month closed: {closed:.1f} s for {ASSOCIATIONS} invoices ({len(with_mandate)} pain.008 files), "
        f"{ASSOCIATIONS / closed:.1f} invoices/s, load average {load:.1f} at the start"
    )
    return [
        Figure(
            f"GDC month closed, {ASSOCIATIONS} associations / {PAYSLIPS:,} payslips",
            closed,
            "s",
            Target.below(60),
            f"load average {load:.1f}",
        ),
        Figure("payslips learnt from the bus (payroll.PayslipIssued)", PAYSLIPS / learnt, "/s"),
    ]


def main() -> list[Figure]:
    return asyncio.run(bench())


if __name__ == "__main__":
    main()
