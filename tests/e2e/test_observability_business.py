"""The business gauges count what the read models hold, on the day they are sampled for.

Contracts and invoices are made through the public API of the embedded back-office (a tenant of their own
per test); salary payments are given as payroll's consumer and payment run write them. Then each service's
sampler is run for a chosen Paris day and its gauges read from the process's registry: the day of the
contract's start and a day after its end, an invoice's due date and 40 days later, a payment's due date
passed unpaid or paid late.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest_asyncio
from prometheus_client import REGISTRY

from billing_svc import metrics as billing_metrics
from contracts_svc import metrics as contracts_metrics
from payroll_svc import metrics as payroll_metrics
from services.db import create_pool
from services.log_reader import Conn
from tests.e2e.deployments import Deployment
from tests.e2e.skeleton import auth, until
from tests.e2e.test_contracts_api import EMPLOYEE, PARIS, cddu, employee
from tests.e2e.test_invoices_api import draft

WITHIN = 60.0
SCOPES = ("members:read", "members:write", "contracts:read", "contracts:write", "invoices:write")


def gauge(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


@pytest_asyncio.fixture
async def tenant() -> str:
    return f"obs-{uuid.uuid4().hex[:8]}"


@pytest_asyncio.fixture
async def pools(embedded_deployment: Deployment) -> AsyncIterator[dict[str, asyncpg.Pool]]:
    url = embedded_deployment.database_url
    made = {schema: await create_pool(url, schema) for schema in ("contracts", "payroll", "billing")}
    try:
        yield made
    finally:
        for pool in made.values():
            await pool.close()


async def test_a_signed_contract_is_a_hire_on_its_first_day_and_active_until_its_end(
    embedded_deployment: Deployment, tenant: str, pools: dict[str, asyncpg.Pool]
) -> None:
    gateway = embedded_deployment.gateway
    key = await embedded_deployment.api_key(tenant, *SCOPES)
    member_id = await employee(embedded_deployment, key)
    starts_at = datetime.now(UTC) + timedelta(days=3)
    first_day = starts_at.astimezone(PARIS).date()
    drafted = await gateway.post("/v1/contracts", json=cddu(member_id, starts_at), headers=auth(key))
    assert drafted.status_code == 201, drafted.text
    path = f"/v1/contracts/{drafted.json()['id']}"
    ends_on = date.fromisoformat(drafted.json()["ends_on"])

    async def directory_says(status: str) -> None:  # the directory is a projection: it follows shortly
        async def there() -> bool:
            found = await pools["contracts"].fetchval(
                "SELECT status FROM contract_directory WHERE tenant = $1 AND contract_id = $2",
                tenant,
                uuid.UUID(drafted.json()["id"]),
            )
            return bool(found == status)

        await until(there, within=WITHIN)

    await directory_says("drafted")
    await contracts_metrics.sample(pools["contracts"], first_day)
    assert gauge("contracts_hires_today", tenant=tenant) == 0  # a draft is not a hire
    assert gauge("contracts_active", tenant=tenant) == 0

    declared = await gateway.post(f"{path}/hire_declaration", json={"employee": EMPLOYEE}, headers=auth(key))
    assert declared.status_code == 200, declared.text
    signed = await gateway.post(f"{path}/signature", headers=auth(key))
    assert signed.status_code == 200, signed.text
    await directory_says("signed")
    for day, hires, active in [
        (first_day - timedelta(days=1), 0, 0),  # not started yet
        (first_day, 1, 1),
        (ends_on, 0, 1),
        (ends_on + timedelta(days=1), 0, 0),  # ended
    ]:
        await contracts_metrics.sample(pools["contracts"], day)
        assert (gauge("contracts_hires_today", tenant=tenant), gauge("contracts_active", tenant=tenant)) == (
            hires,
            active,
        ), day


async def test_an_invoice_is_owed_until_credited_and_ages_once_past_its_due_date(
    embedded_deployment: Deployment, tenant: str, pools: dict[str, asyncpg.Pool]
) -> None:
    gateway = embedded_deployment.gateway
    key = await embedded_deployment.api_key(tenant, *SCOPES)
    issued = await gateway.post("/v1/invoices", json=draft(finalise=True), headers=auth(key))
    assert issued.status_code == 201, issued.text
    invoice = issued.json()
    owed = invoice["totals"]["total_cents"]
    issue_date, due_date = date.fromisoformat(invoice["issue_date"]), date.fromisoformat(invoice["due_date"])

    async def receivable_is(unpaid_cents: int) -> None:  # billing's consumer of its own events keeps it
        async def there() -> bool:
            found = await pools["billing"].fetchval(
                "SELECT unpaid_cents FROM receivables WHERE tenant = $1 AND invoice_id = $2",
                tenant,
                uuid.UUID(invoice["id"]),
            )
            return bool(found == unpaid_cents)

        await until(there, within=WITHIN)

    def figures() -> tuple[float | None, float | None, dict[str, float | None]]:
        ages = {age: gauge("billing_receivables_cents", tenant=tenant, age=age) for age, _ in AGES}
        return (
            gauge("billing_invoices_issued_today", tenant=tenant),
            gauge("billing_invoices_overdue", tenant=tenant),
            ages,
        )

    await receivable_is(owed)
    await billing_metrics.sample(pools["billing"], issue_date)
    assert figures() == (1, 0, {**NOTHING, "not_due": owed})
    await billing_metrics.sample(pools["billing"], due_date)
    assert figures() == (0, 0, {**NOTHING, "not_due": owed})  # due today is not overdue yet
    await billing_metrics.sample(pools["billing"], due_date + timedelta(days=40))
    assert figures() == (0, 1, {**NOTHING, "31-60": owed})

    credited = await gateway.post(
        "/v1/credit_notes",
        json=draft(series="OBSAV", corrects=invoice["id"], finalise=True),
        headers=auth(key),
    )
    assert credited.status_code == 201, credited.text
    await receivable_is(0)
    await billing_metrics.sample(pools["billing"], due_date + timedelta(days=40))
    assert figures() == (0, 0, NOTHING)  # credited in full: nothing owed, not counted overdue


AGES = billing_metrics.AGE_BUCKETS
NOTHING: dict[str, float | None] = {age: 0 for age, _ in AGES}


async def salary(conn: Conn, tenant: str, due_on: date, paid_on: date | None) -> None:
    """A salary payment as payroll writes it: scheduled, then paid by a run (on time when on its due date)."""
    payslip_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO payslips (tenant, payslip_id, contract_id, member_id, employer_id, period, gross_cents,"
        " net_paid_cents, employer_cost_cents, issued_at, issued)"
        " VALUES ($1, $2, $3, $3, $3, $4, 2700, 2100, 3800, $5, '{}'::jsonb)",
        tenant,
        payslip_id,
        uuid.uuid4(),
        due_on.replace(day=1),
        datetime.combine(due_on - timedelta(days=7), datetime.min.time(), PARIS),
    )
    await conn.execute(
        "INSERT INTO salary_payments (tenant, payslip_id, member_id, net_cents, last_day_worked, due_on,"
        " status, paid_on, on_time, version, scheduled_at)"
        " VALUES ($1, $2, $3, 2100, $4, $5, $6, $7, $8, 1, now())",
        tenant,
        payslip_id,
        uuid.uuid4(),
        due_on - timedelta(days=7),
        due_on,
        "paid" if paid_on else "scheduled",
        paid_on,
        None if paid_on is None else paid_on <= due_on,
    )


async def test_salary_payments_are_due_then_late_against_the_seven_day_promise(
    embedded_deployment: Deployment, tenant: str, pools: dict[str, asyncpg.Pool]
) -> None:
    today = datetime.now(PARIS).date()
    async with pools["payroll"].acquire() as conn:
        await salary(conn, tenant, today - timedelta(days=2), paid_on=today - timedelta(days=2))  # on time
        await salary(conn, tenant, today - timedelta(days=3), paid_on=today - timedelta(days=1))  # late
        await salary(conn, tenant, today - timedelta(days=1), paid_on=None)  # unpaid: the promise broken
        await salary(conn, tenant, today + timedelta(days=7), paid_on=None)  # issued today, due in 7 days

    def figures() -> dict[str, float | None]:
        return {
            "payslips_today": gauge("payroll_payslips_issued_today", tenant=tenant),
            "due": gauge("payroll_salary_payments_due", tenant=tenant),
            "late": gauge("payroll_salary_payments_late", tenant=tenant),
            "paid_on_time": gauge("payroll_salary_payments_paid_30d", tenant=tenant, timeliness="on_time"),
            "paid_late": gauge("payroll_salary_payments_paid_30d", tenant=tenant, timeliness="late"),
        }

    await payroll_metrics.sample(pools["payroll"], today)
    assert figures() == {"payslips_today": 1, "due": 2, "late": 1, "paid_on_time": 1, "paid_late": 1}
    # A month and more later, the paid ones have left the 30-day window; both unpaid ones are late.
    await payroll_metrics.sample(pools["payroll"], today + timedelta(days=40))
    assert figures() == {"payslips_today": 0, "due": 2, "late": 2, "paid_on_time": 0, "paid_late": 0}

    # The ops page's summary (the operator's view of every tenant) agrees.
    operator = await embedded_deployment.api_key("smartfr", "ops")
    summary = await embedded_deployment.gateway.get("/ops/api/salary_payments", headers=auth(operator))
    assert summary.status_code == 200, summary.text
    [mine] = [t for t in summary.json()["tenants"] if t["tenant"] == tenant]
    assert mine == {
        "tenant": tenant,
        "due": 2,
        "late": 1,
        "next_due_on": (today - timedelta(days=1)).isoformat(),
    }
    assert [p["due_on"] for p in summary.json()["late"] if p["tenant"] == tenant] == [
        (today - timedelta(days=1)).isoformat()
    ]
