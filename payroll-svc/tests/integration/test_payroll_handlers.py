"""payroll-svc's handlers on the real PostgreSQL: contracts' completion issues one payslip and schedules its
salary (a repeat changes nothing), and a payment run records what the fake bank accepts, rejects or fails."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest
import pytest_asyncio
from prometheus_client import REGISTRY

from payroll_svc.bootstrap import Payroll, build
from payroll_svc.config import Settings
from payroll_svc.domain.payments import BankUnavailable, salary_due_on
from payroll_svc.entrypoints.definition import definition
from payroll_svc.integration.fake_bank import FakeBank
from payroll_svc.integration.when_contract_completed import NoPayslip
from services.db import create_pool, migrate
from services.envelope import Envelope
from services.eventstore.store import EventStore
from services.ids import new_event_id
from services.runtime import Resources
from services.testkit.infrastructure import fresh_schema

TENANT = "smartfr"
RUNS = "coop-runs"  # the run test's own tenant: the other tests' salaries are due on the same day
SCHEMA = (
    Path(__file__).resolve().parents[3] / "schemas" / "jsonschema" / "contracts" / "ContractCompleted.v1.json"
)
EXAMPLE: dict[str, Any] = json.loads(SCHEMA.read_text())["examples"][0]


@pytest_asyncio.fixture(scope="module")
async def resources(database_url: str) -> AsyncIterator[Resources]:
    async with fresh_schema(database_url, prefix="payroll") as schema:
        conn = await asyncpg.connect(database_url)
        try:
            await migrate(conn, schema, definition().migrations_to_apply())
        finally:
            await conn.close()
        pool = await create_pool(database_url, schema)
        try:
            yield Resources(Settings(database_url=database_url, db_schema=schema), pool, EventStore(pool))
        finally:
            await pool.close()


def completion(tenant: str = TENANT, **changes: Any) -> Envelope:
    return Envelope(
        event_id=new_event_id(),
        event_type="contracts.ContractCompleted",
        schema_version=1,
        stream_id="contract-x",
        stream_version=5,
        occurred_at="2026-12-05T19:00:00Z",
        tenant=tenant,
        correlation_id=new_event_id(),
        data={**EXAMPLE, "contract_id": str(uuid4()), "member_id": str(uuid4()), **changes},
    )


async def deliver(payroll: Payroll, envelope: Envelope) -> None:
    async with payroll.resources.pool.acquire() as conn, conn.transaction():
        await payroll.on_contracts_event(conn, envelope)


async def salary(payroll: Payroll, contract_id: str) -> asyncpg.Record:
    async with payroll.resources.pool.acquire() as conn:
        row = await conn.fetchrow(
            """SELECT s.* FROM salary_payments s JOIN payslips p USING (tenant, payslip_id)
               WHERE p.contract_id = $1""",
            UUID(contract_id),
        )
    assert row is not None
    return row


async def test_a_completion_issues_one_payslip_and_schedules_its_salary_even_when_delivered_twice(
    resources: Resources,
) -> None:
    payroll = build(resources)
    event = completion()

    await deliver(payroll, event)
    await deliver(payroll, event.model_copy(update={"event_id": new_event_id()}))  # a second completion event

    async with resources.pool.acquire() as conn:
        count = await conn.fetchval(
            "SELECT count(*) FROM payslips WHERE contract_id = $1", UUID(event.data["contract_id"])
        )
        published = await conn.fetchval(
            "SELECT string_agg(envelope->>'event_type', ' ' ORDER BY position) FROM outbox"
        )
    assert count == 1
    assert published.split().count("payroll.PayslipIssued") == 1
    scheduled = await salary(payroll, event.data["contract_id"])
    assert (scheduled["status"], scheduled["due_on"]) == ("scheduled", salary_due_on(date(2026, 12, 5)))


async def test_a_cape_gives_no_payslip(resources: Resources) -> None:
    payroll = build(resources)
    event = completion(contract_type="cape", pay_basis="none", hourly_rate_cents=None, gross_cents=None)
    await deliver(payroll, event)
    async with resources.pool.acquire() as conn:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM payslips WHERE contract_id = $1", UUID(event.data["contract_id"])
            )
            == 0
        )


async def test_a_contract_spanning_months_is_refused_and_leaves_nothing_behind(resources: Resources) -> None:
    """Its earlier months need WorkReported (not consumed yet): a dead letter, not a wrong payslip."""
    payroll = build(resources)
    event = completion(period_start="2026-11-28")

    with pytest.raises(NoPayslip, match="spans months"):
        await deliver(payroll, event)

    async with resources.pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT count(*) FROM events WHERE stream_id LIKE 'payslip-%' AND data->>'contract_id' = $1",
            event.data["contract_id"],
        )
    assert stored == 0


async def test_a_run_pays_what_is_due_records_a_rejection_and_pays_it_late_the_next_day(
    resources: Resources,
) -> None:
    payroll = build(resources)
    paid_event, rejected_event = completion(RUNS), completion(RUNS)
    for event in (paid_event, rejected_event):
        await deliver(payroll, event)
    due_on = salary_due_on(date(2026, 12, 5))
    rejected_iban = payroll.payees.payee(UUID(rejected_event.data["member_id"])).iban
    rejecting = dataclasses.replace(payroll, bank=FakeBank(rejects={rejected_iban: "AC04"}))

    def counted() -> tuple[float, ...]:
        samples = (
            ("payroll_salaries_due_total", {}),
            ("payroll_salaries_paid_total", {"timeliness": "on_time"}),
            ("payroll_salaries_paid_total", {"timeliness": "late"}),
            ("payroll_salaries_rejected_total", {}),
            ("payroll_payment_runs_failed_total", {}),
        )
        return tuple(
            REGISTRY.get_sample_value(name, {"tenant": RUNS, **labels}) or 0.0 for name, labels in samples
        )

    before = counted()
    failing = dataclasses.replace(payroll, bank=FakeBank(fails=True))
    with pytest.raises(BankUnavailable):
        await failing.run_payments(due_on, tenant=RUNS, correlation_id=None)
    assert (await salary(payroll, paid_event.data["contract_id"]))[
        "status"
    ] == "scheduled"  # nothing recorded

    outcome = await rejecting.run_payments(due_on, tenant=RUNS, correlation_id=None)

    paid = await salary(payroll, paid_event.data["contract_id"])
    rejected = await salary(payroll, rejected_event.data["contract_id"])
    assert (paid["status"], paid["paid_on"], paid["on_time"]) == ("paid", due_on, True)
    assert (rejected["status"], rejected["rejection"]) == ("rejected", "AC04")
    assert outcome.rejected == {rejected["payslip_id"]: "AC04"}
    assert paid["payslip_id"] in outcome.paid

    next_day = date.fromordinal(due_on.toordinal() + 1)
    again = await payroll.run_payments(next_day, tenant=RUNS, correlation_id=None)  # the bank details fixed
    late = await salary(payroll, rejected_event.data["contract_id"])
    assert (late["status"], late["on_time"]) == ("paid", False)
    assert again.late == [late["payslip_id"]]
    assert paid["payslip_id"] not in again.paid
    due, on_time, late_paid, rejections, failed = (
        after - b for after, b in zip(counted(), before, strict=True)
    )
    assert (due, on_time, late_paid, rejections, failed) == (
        2 + 2 + 1,
        1,
        1,
        1,
        1,
    )  # failed file 2, then 2, then the rejected one
