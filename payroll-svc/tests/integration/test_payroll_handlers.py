"""payroll-svc's handlers on the real PostgreSQL: contracts' reported work and completion issue one payslip
per contract and month and schedule their salaries (a repeat changes nothing), a person's payslips of a month
share one PMSS, the employer's terms come from the file, and a payment run records what the fake bank
accepts, rejects or fails."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest
import pytest_asyncio
from prometheus_client import REGISTRY

from payroll_svc.bootstrap import Correction, Payroll, build, run_id_of
from payroll_svc.config import Settings
from payroll_svc.declarations.dsn import check_dsn
from payroll_svc.domain.payments import BankReceipt, BankUnavailable, salary_due_on
from payroll_svc.domain.payslips import PayslipAlreadyCorrected
from payroll_svc.domain.payslips.correction import CorrectedInputs
from payroll_svc.entrypoints.definition import definition
from payroll_svc.integration.fake_bank import FakeBank, LostAfterAcceptance
from payroll_svc.integration.identities import InvalidSiret
from payroll_svc.read_models.establishments import (
    EstablishmentUnknown,
    establishment,
    establishment_of_contract,
)
from payroll_svc.read_models.payroll_views import lock_month_and_ceiling_used
from services.db import create_pool, migrate
from services.envelope import Envelope
from services.eventstore.store import EventStore
from services.eventstore.types import LogPosition
from services.ids import new_event_id
from services.log_reader import save_checkpoint
from services.projection import ProjectionRunner, checkpoint_name
from services.request_keys import RequestKey
from services.runtime import Resources
from services.testkit.infrastructure import fresh_schema

TENANT = "smartfr"
RUNS = "coop-runs"  # the run test's own tenant: the other tests' salaries are due on the same day
SCHEMA = (
    Path(__file__).resolve().parents[3] / "schemas" / "jsonschema" / "contracts" / "ContractCompleted.v1.json"
)
EXAMPLE: dict[str, Any] = json.loads(SCHEMA.read_text())["examples"][0]
REPORTED: dict[str, Any] = json.loads(SCHEMA.with_name("WorkReported.v1.json").read_text())["examples"][0]
# The draft's example that names its establishment (ADR 024).
DRAFTED: dict[str, Any] = json.loads(SCHEMA.with_name("ContractDrafted.v1.json").read_text())["examples"][1]


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


WAITING_ADVISORY_LOCKS = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
MONTHLY_OCTOBER: dict[str, Any] = {
    "contract_type": "cdi",
    "pay_basis": "monthly",
    "hourly_rate_cents": None,
    "gross_cents": None,
    "monthly_gross_cents": 500000,
    "paid_leave_pay_rate": "0",
    "precarity_bonus_rate": "0",
    "period_start": "2026-10-01",
    "period_end": "2026-10-31",
    "first_day_worked": "2026-10-01",
    "last_day_worked": "2026-10-30",
}


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


def drafted_under(
    completed: Envelope, siret: str, street: str, drafted_at: str = DRAFTED["drafted_at"]
) -> Envelope:
    """The draft of the completed contract, made under the establishment `siret`."""
    establishment = {**DRAFTED["employer_establishment"], "siret": siret, "street": street}
    return completed.model_copy(
        update={
            "event_id": new_event_id(),
            "event_type": "contracts.ContractDrafted",
            "stream_version": 1,
            "data": {
                **DRAFTED,
                "contract_id": completed.data["contract_id"],
                "member_id": completed.data["member_id"],
                "employer_establishment": establishment,
                "drafted_at": drafted_at,
            },
        }
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


def reported(contract_id: str, member_id: str, start: str, end: str, minutes: int) -> Envelope:
    data = {
        **REPORTED,
        "contract_id": contract_id,
        "member_id": member_id,
        "minutes": minutes,
        "hours": f"{minutes / 60:.2f}",
        "gross_cents": minutes * REPORTED["hourly_rate_cents"] // 60,
        "period_start": start,
        "period_end": end,
    }
    return Envelope(
        event_id=new_event_id(),
        event_type="contracts.WorkReported",
        schema_version=1,
        stream_id=f"contract-{contract_id}",
        stream_version=4,
        occurred_at="2026-12-05T19:00:00Z",
        tenant=TENANT,
        correlation_id=new_event_id(),
        data=data,
    )


async def payslips_of(resources: Resources, contract_id: str) -> list[dict[str, Any]]:
    async with resources.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT issued::text FROM payslips WHERE contract_id = $1 ORDER BY period, issued_at",
            UUID(contract_id),
        )
    return [json.loads(row[0]) for row in rows]


async def test_a_contract_over_two_months_gets_a_payslip_for_each_and_the_indemnities_on_the_last(
    resources: Resources,
) -> None:
    payroll = build(resources)
    contract_id, member_id = str(uuid4()), str(uuid4())
    november = reported(contract_id, member_id, "2026-11-23", "2026-11-27", 35 * 60)
    december = reported(contract_id, member_id, "2026-12-01", "2026-12-03", 21 * 60)
    for event in (november, december):
        await deliver(payroll, event)
    await deliver(payroll, november)  # redelivered: the inbox of the runner is not here, the record's is

    closed = await payroll.close_month(date(2026, 11, 1), tenant=TENANT, correlation_id=None)
    again = await payroll.close_month(date(2026, 11, 1), tenant=TENANT, correlation_id=None)
    [first] = await payslips_of(resources, contract_id)
    assert (closed, again) == ([UUID(first["payslip_id"])], [])
    assert (first["period"], first["gross_cents"]) == ("2026-11-01", 52500)  # no indemnity before the end
    assert (await salary(payroll, contract_id))["due_on"] == salary_due_on(date(2026, 11, 27))

    await deliver(
        payroll,
        completion(
            contract_id=contract_id,
            member_id=member_id,
            minutes=56 * 60,
            hours="56.00",
            gross_cents=84000,
            period_start="2026-11-23",
            period_end="2026-12-04",
            first_day_worked="2026-11-23",
            last_day_worked="2026-12-03",
        ),
    )

    _, last = await payslips_of(resources, contract_id)
    assert last["period"] == "2026-12-01"
    assert [(e["code"], e["amount_cents"]) for e in last["earnings"]] == [
        ("salaire_base", 31500),
        ("iccp", 8400),  # 10 % of 525.00 + 315.00 €
    ]
    async with resources.pool.acquire() as conn:
        open_work = await conn.fetchval(
            "SELECT count(*) FROM unpaid_work WHERE contract_id = $1", UUID(contract_id)
        )
        due = await conn.fetch(
            """SELECT s.due_on FROM salary_payments s JOIN payslips p USING (tenant, payslip_id)
               WHERE p.contract_id = $1 ORDER BY s.due_on""",
            UUID(contract_id),
        )
    assert open_work == 0
    assert [row[0] for row in due] == [salary_due_on(date(2026, 11, 27)), salary_due_on(date(2026, 12, 3))]


async def test_a_persons_contracts_of_one_month_share_one_pmss(resources: Resources) -> None:
    payroll = build(resources)
    member_id = str(uuid4())
    contracts = [str(uuid4()), str(uuid4())]
    for contract_id in contracts:
        await deliver(payroll, completion(contract_id=contract_id, member_id=member_id, **MONTHLY_OCTOBER))

    ceilings = [(await payslips_of(resources, c))[0]["ceiling_cents"] for c in contracts]
    assert ceilings == [400500, 0]  # the first took the whole PMSS of October, the second none of it


async def test_two_payslips_of_a_persons_month_issued_at_once_share_one_pmss(resources: Resources) -> None:
    """Given the person's month locked elsewhere, when two of their contracts complete at once, both wait;
    then the second to get the lock sees the first's payslip (a fresh snapshot after the wait)."""
    payroll = build(resources)
    member_id = str(uuid4())
    contracts = [str(uuid4()), str(uuid4())]
    month = {**MONTHLY_OCTOBER, "member_id": member_id}
    async with resources.pool.acquire() as holder:
        blocking = holder.transaction()
        await blocking.start()
        await holder.fetchval(
            "SELECT ceiling_used_under_month_lock($1, $2, '2026-10-01')", TENANT, UUID(member_id)
        )
        both = asyncio.gather(*(deliver(payroll, completion(contract_id=c, **month)) for c in contracts))
        async with asyncio.timeout(30):
            # The server's lock table polled until both wait (a condition, not a sleep standing for one).
            while await holder.fetchval(WAITING_ADVISORY_LOCKS) < 2:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        await blocking.rollback()
        await both

    ceilings = sorted([(await payslips_of(resources, c))[0]["ceiling_cents"] for c in contracts])
    assert ceilings == [0, 400500]


async def test_the_employers_terms_come_from_the_file_per_tenant_and_employer(
    resources: Resources, tmp_path: Path
) -> None:
    employer = uuid4()
    terms = tmp_path / "employer_terms.toml"
    terms.write_text(
        f"""[tenants.{TENANT}]
accident_at_work_rate = "0.0150"
[tenants.{TENANT}.employers.{employer}]
headcount_band = "under_11"
accident_at_work_rate = "0.0320"
"""
    )
    settings = resources.settings.model_copy(update={"employer_terms_file": terms})
    payroll = build(dataclasses.replace(resources, settings=settings))
    own, other = completion(employer_id=str(employer)), completion()
    for event in (own, other):
        await deliver(payroll, event)

    def rate(payslip: dict[str, Any]) -> str:
        [line] = [line for line in payslip["lines"] if line["code"] == "accident_travail"]
        return str(line["employer_rate"])

    [own_payslip] = await payslips_of(resources, own.data["contract_id"])
    [other_payslip] = await payslips_of(resources, other.data["contract_id"])
    assert (rate(own_payslip), rate(other_payslip)) == ("0.0320", "0.0150")
    lines = {line["code"] for line in own_payslip["lines"]}
    assert "peec" not in lines  # PEEC is for 50 staff and over: the employer's own band applies


async def test_a_run_pays_what_is_due_records_a_rejection_and_pays_it_late_the_next_day(
    resources: Resources,
) -> None:
    payroll = build(resources)
    paid_event, rejected_event = completion(RUNS), completion(RUNS)
    for event in (paid_event, rejected_event):
        await deliver(payroll, event)
    due_on = salary_due_on(date(2026, 12, 5))
    rejected_iban = (await payroll.payees.payee(RUNS, UUID(rejected_event.data["member_id"]))).iban
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


async def test_a_correction_is_a_new_payslip_its_raise_paid_its_cut_to_recover(
    resources: Resources,
) -> None:
    payroll = build(resources)
    event = completion()
    await deliver(payroll, event)
    [original] = await payslips_of(resources, event.data["contract_id"])
    original_id = UUID(original["payslip_id"])

    raised = await payroll.correct_payslip(
        original_id,
        "2 hours forgotten",
        CorrectedInputs(gross_pay_cents=55500, hours_paid=Decimal(37)),
        tenant=TENANT,
        correlation_id=None,
    )
    assert raised.payslip.corrects_payslip_id == original_id
    assert raised.payslip.gross_cents == 55500 + 5550  # the ICCP on the corrected pay, as issued before
    assert raised.difference_cents == raised.payslip.net_paid_cents - original["net_paid_cents"] > 0
    async with resources.pool.acquire() as conn:
        difference = await conn.fetchrow(
            "SELECT net_cents, due_on FROM salary_payments WHERE payslip_id = $1", raised.payslip.payslip_id
        )
    assert (difference["net_cents"], difference["due_on"]) == (
        raised.difference_cents,
        salary_due_on(date(2026, 12, 5)),  # the promise of the work it pays
    )

    with pytest.raises(PayslipAlreadyCorrected):  # the original is superseded: its correction is corrected
        await payroll.correct_payslip(
            original_id, "again", CorrectedInputs(gross_pay_cents=1), tenant=TENANT, correlation_id=None
        )
    cut = await payroll.correct_payslip(
        raised.payslip.payslip_id,
        "rate was 14 €",
        CorrectedInputs(gross_pay_cents=49000),
        tenant=TENANT,
        correlation_id=None,
    )
    assert cut.difference_cents < 0
    async with resources.pool.acquire() as conn:
        owed = await conn.fetchrow(
            "SELECT amount_cents, corrects_payslip_id, status FROM overpayments WHERE payslip_id = $1",
            cut.payslip.payslip_id,
        )
        paid_for_cut = await conn.fetchval(
            "SELECT count(*) FROM salary_payments WHERE payslip_id = $1", cut.payslip.payslip_id
        )
        member_id = UUID(event.data["member_id"])
        used = await lock_month_and_ceiling_used(conn, TENANT, member_id, date(2026, 12, 1))
    assert (owed["amount_cents"], owed["corrects_payslip_id"], owed["status"]) == (
        -cut.difference_cents,
        raised.payslip.payslip_id,
        "to_recover",
    )
    assert paid_for_cut == 0
    assert used == cut.payslip.ceiling_cents  # only the latest payslip of the month counts
    assert len(await payslips_of(resources, event.data["contract_id"])) == 3  # none edited, none removed


CDD = {"contract_type": "cdd", "precarity_bonus_rate": "0.10"}


async def cdd_over_two_months(payroll: Payroll) -> tuple[str, str, dict[str, Any]]:
    """A CDD: 35 h (525.00 €) in November, paid by November's close, and 21 h (315.00 €) in December; the
    contract's id, its member's and November's payslip."""
    contract_id, member_id = str(uuid4()), str(uuid4())
    for start, end, minutes in (("2026-11-23", "2026-11-27", 35 * 60), ("2026-12-01", "2026-12-03", 21 * 60)):
        work = reported(contract_id, member_id, start, end, minutes)
        await deliver(payroll, work.model_copy(update={"data": {**work.data, **CDD}}))
    await payroll.close_month(date(2026, 11, 1), tenant=TENANT, correlation_id=None)
    [november] = await payslips_of(payroll.resources, contract_id)
    return contract_id, member_id, november


def cdd_completed(contract_id: str, member_id: str) -> Envelope:
    return completion(
        contract_id=contract_id,
        member_id=member_id,
        minutes=56 * 60,
        hours="56.00",
        gross_cents=84000,  # the reports' totals: a payroll correction is not among them
        period_start="2026-11-23",
        period_end="2026-12-04",
        first_day_worked="2026-11-23",
        last_day_worked="2026-12-03",
        **CDD,
    )


async def two_hours_more(payroll: Payroll, november: dict[str, Any]) -> Correction:
    """November's 35 h at 15.00 € corrected to 37 h: 555.00 €."""
    changes = CorrectedInputs(gross_pay_cents=55500, hours_paid=Decimal(37))
    return await payroll.correct_payslip(
        UUID(november["payslip_id"]), "2 hours forgotten", changes, tenant=TENANT, correlation_id=None
    )


def earnings(payslip: dict[str, Any]) -> list[tuple[str, int]]:
    return [(e["code"], e["amount_cents"]) for e in payslip["earnings"]]


async def test_a_correction_before_the_end_of_a_cdd_counts_in_its_last_payslips_indemnities(
    resources: Resources,
) -> None:
    payroll = build(resources)
    contract_id, member_id, november = await cdd_over_two_months(payroll)
    await two_hours_more(payroll, november)

    await deliver(payroll, cdd_completed(contract_id, member_id))

    *_, last = await payslips_of(resources, contract_id)
    assert last["period"] == "2026-12-01"
    assert earnings(last) == [
        ("salaire_base", 31500),  # December's work as reported: the raise is not paid twice
        ("indemnite_precarite", 8700),  # 10 % of 555.00 (November as corrected) + 315.00 €
        ("iccp", 9570),  # 10 % of 870.00 + 87.00 €
    ]


async def test_a_correction_after_the_end_of_a_cdd_carries_the_indemnities_on_its_raise(
    resources: Resources,
) -> None:
    payroll = build(resources)
    contract_id, member_id, november = await cdd_over_two_months(payroll)
    await deliver(payroll, cdd_completed(contract_id, member_id))
    *_, last = await payslips_of(resources, contract_id)
    assert earnings(last) == [("salaire_base", 31500), ("indemnite_precarite", 8400), ("iccp", 9240)]

    raised = await two_hours_more(payroll, november)

    assert [(e.code, e.amount_cents) for e in raised.payslip.earnings] == [
        ("salaire_base", 55500),
        ("indemnite_precarite", 300),  # 10 % of the 30.00 € raise
        ("iccp", 330),  # 10 % of 30.00 + 3.00 €: the ICCP on the raise, which the last payslip did not count
    ]
    assert raised.payslip.gross_cents == 55500 + 300 + 330
    assert raised.difference_cents == raised.payslip.net_paid_cents - november["net_paid_cents"] > 0


async def run_rows(resources: Resources, tenant: str) -> list[tuple[str, int]]:
    async with resources.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT status, salaries FROM payment_runs WHERE tenant = $1 ORDER BY started_at", tenant
        )
    return [(row[0], row[1]) for row in rows]


async def test_a_run_interrupted_after_the_bank_accepted_its_file_is_finished_from_the_bank_paid_once(
    resources: Resources,
) -> None:
    tenant = "coop-crash"
    payroll = build(resources)
    events = [completion(tenant), completion(tenant)]
    for event in events:
        await deliver(payroll, event)
    due_on = salary_due_on(date(2026, 12, 5))
    losing = dataclasses.replace(payroll, bank=FakeBank(lose_answers=True))

    with pytest.raises(LostAfterAcceptance):  # the bank has the file; the run never hears its answer
        await losing.run_payments(due_on, tenant=tenant, correlation_id=None)
    assert [(await salary(payroll, e.data["contract_id"]))["status"] for e in events] == ["scheduled"] * 2
    assert await run_rows(resources, tenant) == [("sending", 2)]

    bank = losing.bank
    assert isinstance(bank, FakeBank)
    restarted = dataclasses.replace(payroll, bank=dataclasses.replace(bank, lose_answers=False))
    outcome = await restarted.run_payments(due_on, tenant=tenant, correlation_id=None)

    paid = [await salary(payroll, e.data["contract_id"]) for e in events]
    assert [(p["status"], p["paid_on"], p["on_time"]) for p in paid] == [("paid", due_on, True)] * 2
    assert sorted(outcome.paid) == sorted(p["payslip_id"] for p in paid)
    assert len(bank.received) == 1  # asked, not sent again
    assert await run_rows(resources, tenant) == [("recorded", 2)]
    again = await restarted.run_payments(due_on, tenant=tenant, correlation_id=None)
    assert (again.run_id, again.paid, len(bank.received)) == (None, [], 1)


class UnreachableBank(FakeBank):
    def submit(self, payment_file: bytes) -> BankReceipt:
        raise ConnectionError("connection reset before the file was sent")


async def test_a_run_whose_file_never_reached_the_bank_is_abandoned_and_its_salaries_sent_by_the_next(
    resources: Resources,
) -> None:
    tenant = "coop-unreachable"
    payroll = build(resources)
    event = completion(tenant)
    await deliver(payroll, event)
    due_on = salary_due_on(date(2026, 12, 5))
    with pytest.raises(ConnectionError):
        await dataclasses.replace(payroll, bank=UnreachableBank()).run_payments(
            due_on, tenant=tenant, correlation_id=None
        )

    bank = FakeBank()
    outcome = await dataclasses.replace(payroll, bank=bank).run_payments(
        due_on, tenant=tenant, correlation_id=None
    )

    assert (await salary(payroll, event.data["contract_id"]))["status"] == "paid"
    assert (len(outcome.paid), len(bank.received)) == (1, 1)
    assert await run_rows(resources, tenant) == [("abandoned", 1), ("recorded", 1)]


async def test_a_run_asked_again_with_its_request_key_is_answered_and_sends_nothing_more(
    resources: Resources,
) -> None:
    tenant = "coop-retried"
    payroll = build(resources)
    paid_event, rejected_event = completion(tenant), completion(tenant)
    for event in (paid_event, rejected_event):
        await deliver(payroll, event)
    due_on = salary_due_on(date(2026, 12, 5))
    rejected_iban = (await payroll.payees.payee(tenant, UUID(rejected_event.data["member_id"]))).iban
    bank = FakeBank(rejects={rejected_iban: "AC04"})
    key = RequestKey(1_790_000_000_000, hashlib.sha256(b"client:run-key").digest())
    with pytest.raises(BankUnavailable):  # the file failed whole: nothing paid, the key's next run is made
        await dataclasses.replace(payroll, bank=FakeBank(fails=True)).run_payments(
            due_on, tenant=tenant, correlation_id=None, request_key=key
        )
    retrying = dataclasses.replace(payroll, bank=bank)

    outcome = await retrying.run_payments(due_on, tenant=tenant, correlation_id=None, request_key=key)
    again = await retrying.run_payments(due_on, tenant=tenant, correlation_id=None, request_key=key)

    assert outcome.run_id == run_id_of(due_on, key, attempt=1)
    assert (len(outcome.paid), len(outcome.rejected)) == (1, 1)
    assert again == outcome  # answered as it was, the rejected salary not sent again
    assert len(bank.received) == 1
    assert await run_rows(resources, tenant) == [("abandoned", 2), ("recorded", 2)]


async def test_the_dsn_of_the_month_the_salaries_are_paid_in_passes_the_structural_check(
    resources: Resources,
) -> None:
    tenant = "coop-dsn"
    payroll = build(resources)
    events = [completion(tenant) for _ in range(4)]
    elsewhere = completion(tenant)
    for event in events:
        await deliver(payroll, drafted_under(event, "73282932000074", "12 rue des Arts"))
        await deliver(payroll, event)
    await deliver(payroll, drafted_under(elsewhere, "40483304800105", "3 quai de la Loire"))
    await deliver(payroll, elsewhere)
    due_on = salary_due_on(date(2026, 12, 5))

    text = await payroll.dsn(tenant, "73282932000074", due_on.replace(day=1), date(2027, 1, 5))

    assert check_dsn(text) == []
    lines = text.splitlines()
    assert sum(line.startswith("S21.G00.30.001,") for line in lines) == 4  # one person each: not elsewhere's
    assert sum(line.startswith("S21.G00.62.001,") for line in lines) == 4  # each contract ended
    assert "S21.G00.06.001,'732829320'" in lines
    assert "S21.G00.11.001,'00074'" in lines
    assert "S21.G00.11.003,'12 rue des Arts'" in lines
    assert "S21.G00.11.008,'4'" in lines  # the people declared
    other = await payroll.dsn(tenant, "40483304800105", due_on.replace(day=1), date(2027, 1, 5))
    assert sum(line.startswith("S21.G00.30.001,") for line in other.splitlines()) == 1
    with pytest.raises(EstablishmentUnknown):
        await payroll.dsn(tenant, "55208131766522", due_on.replace(day=1), date(2027, 1, 5))
    empty = await payroll.dsn(tenant, "73282932000074", date(2026, 11, 1), date(2026, 12, 5))
    assert check_dsn(empty) == []
    assert not any(line.startswith("S21.G00.30.") for line in empty.splitlines())
    with pytest.raises(InvalidSiret):
        await payroll.dsn(tenant, "73282932000075", date(2026, 12, 1), date(2027, 1, 5))


async def test_an_establishment_is_as_its_latest_draft_named_it_whatever_order_the_drafts_arrive_in(
    resources: Resources,
) -> None:
    tenant, siret = "coop-moved", "73282932000074"
    payroll = build(resources)
    older, moved, moved_back = (completion(tenant) for _ in range(3))

    # Given the draft made after the establishment moved, then one made before, delivered late
    await deliver(payroll, drafted_under(moved, siret, "5 avenue Neuve", "2026-11-20T09:00:00Z"))
    await deliver(payroll, drafted_under(older, siret, "12 rue des Arts", "2026-11-02T09:00:00Z"))
    async with resources.pool.acquire() as conn:
        named = await establishment(conn, tenant, siret)
        of_older = await establishment_of_contract(conn, tenant, UUID(older.data["contract_id"]))
    # Then the SIRET, and the older contract's payslip, name it where it moved
    assert named is not None
    assert of_older is not None
    assert (named.street, of_older.street) == ("5 avenue Neuve", "5 avenue Neuve")

    # When a later draft names it at its first address again (it moved back)
    await deliver(payroll, drafted_under(moved_back, siret, "12 rue des Arts", "2026-11-25T09:00:00Z"))
    async with resources.pool.acquire() as conn:
        named = await establishment(conn, tenant, siret)
    assert named is not None
    assert named.street == "12 rue des Arts"


async def test_drafts_made_under_one_siret_do_not_wait_for_each_others_transactions(
    resources: Resources,
) -> None:
    """All of Coop Portage's hires share a SIRET: a draft waiting for another's commit would put payroll's
    consumer of contracts one draft at a time, whatever its lanes and instances."""
    tenant, siret = "coop-busy", "73282932000074"
    payroll = build(resources)
    first, second, third = (completion(tenant) for _ in range(3))
    await deliver(payroll, drafted_under(first, siret, "12 rue des Arts", "2026-11-02T09:00:00Z"))

    # Given a newer draft's transaction still open
    async with resources.pool.acquire() as holder, holder.transaction():
        await payroll.on_contracts_event(
            holder, drafted_under(second, siret, "12 rue des Arts", "2026-11-03T09:00:00Z")
        )
        # When a third draft of the SIRET is recorded meanwhile, it takes no lock the open one holds
        async with resources.pool.acquire() as conn, conn.transaction():
            await conn.execute("SET LOCAL lock_timeout = '200ms'")
            await payroll.on_contracts_event(
                conn, drafted_under(third, siret, "12 rue des Arts", "2026-11-04T09:00:00Z")
            )

    async with resources.pool.acquire() as conn:
        recorded = await conn.fetchval(
            "SELECT count(*) FROM contract_establishments WHERE tenant = $1", tenant
        )
    assert recorded == 3


def gross_of_pay(dsn: str, contract_id: str) -> list[tuple[str, str, str]]:
    """The DSN's S21.G00.51 gross (kind 001) of a contract: its period's start and end, and the amount."""
    number = UUID(contract_id).hex[:20]
    blocks: list[dict[str, str]] = []
    for line in dsn.splitlines():
        rubric, _, value = line.partition(",")
        if rubric == "S21.G00.51.001":
            blocks.append({})
        if rubric.startswith("S21.G00.51."):
            blocks[-1][rubric[-3:]] = value.strip("'")
    return [(b["001"], b["002"], b["013"]) for b in blocks if b["010"] == number and b["011"] == "001"]


def euros(cents: int) -> str:
    return f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}"


async def test_a_correction_is_declared_by_its_difference_for_the_period_it_corrects(
    resources: Resources,
) -> None:
    tenant, siret = "coop-dsn-corrections", "73282932000074"
    payroll = build(resources)
    event = completion(tenant)
    contract_id = event.data["contract_id"]
    await deliver(payroll, drafted_under(event, siret, "12 rue des Arts"))
    await deliver(payroll, event)
    [original] = await payslips_of(resources, contract_id)
    due_on = salary_due_on(date(2026, 12, 5))
    await payroll.run_payments(due_on, tenant=tenant, correlation_id=None)
    paid_in = due_on.replace(day=1)
    sent = await payroll.dsn(tenant, siret, paid_in, date(2027, 1, 5))
    [(starts_on, ends_on, gross)] = gross_of_pay(sent, contract_id)
    assert gross == euros(original["gross_cents"])

    # When the payslip is raised, the raise paid the next month, and the raise cut,
    raised = await payroll.correct_payslip(
        UUID(original["payslip_id"]),
        "2 hours forgotten",
        CorrectedInputs(gross_pay_cents=55500, hours_paid=Decimal(37)),
        tenant=tenant,
        correlation_id=None,
    )
    cut = await payroll.correct_payslip(
        raised.payslip.payslip_id,
        "rate was 14 €",
        CorrectedInputs(gross_pay_cents=49000),
        tenant=tenant,
        correlation_id=None,
    )
    await payroll.run_payments(date(2027, 1, 6), tenant=tenant, correlation_id=None)
    async with resources.pool.acquire() as conn:
        raise_paid_on: date = await conn.fetchval(
            "SELECT paid_on FROM salary_payments WHERE payslip_id = $1", raised.payslip.payslip_id
        )
        cut_on: date = await conn.fetchval(
            "SELECT (issued_at AT TIME ZONE 'Europe/Paris')::date FROM payslips WHERE payslip_id = $1",
            cut.payslip.payslip_id,
        )

    # then the month the payslip was paid in declares it as it was sent,
    assert await payroll.dsn(tenant, siret, paid_in, date(2027, 1, 5)) == sent
    # and each correction is declared in the month it takes effect (the raise paid, the cut issued) by the
    # difference it makes, for the period of the payslip it corrects.
    differences = (
        (raise_paid_on, raised.payslip.gross_cents - original["gross_cents"]),
        (cut_on, cut.payslip.gross_cents - raised.payslip.gross_cents),
    )
    assert differences[0][1] > 0 > differences[1][1]
    for takes_effect_on, difference in differences:
        text = await payroll.dsn(tenant, siret, takes_effect_on.replace(day=1), date(2027, 1, 5))
        assert check_dsn(text) == []
        assert (starts_on, ends_on, euros(difference)) in gross_of_pay(text, contract_id)


# The tables the commands write, by key; the last two from contracts-svc's drafts (not replayable, kept).
READ_MODELS = {
    "payslips": "tenant, payslip_id",
    "salary_payments": "tenant, payslip_id",
    "overpayments": "tenant, payslip_id",
    "unpaid_work": "tenant, contract_id",
    "payment_runs": "tenant, run_id",
    "establishment_registrations": "tenant, siret, registration",
    "contract_establishments": "tenant, contract_id",
}


async def read_models(resources: Resources) -> dict[str, list[dict[str, Any]]]:
    """Every row of each read model, whole, ordered by its key."""
    async with resources.pool.acquire() as conn:
        return {
            table: [dict(row) for row in await conn.fetch(f"SELECT * FROM {table} ORDER BY {key}")]
            for table, key in READ_MODELS.items()
        }


async def a_month_of_payroll(payroll: Payroll, tenant: str) -> None:
    """Completions (one under a registered establishment), a contract over two months, one whose December
    work is left unpaid after November's close, a correction raising a payslip then one cutting it, a run the
    bank fails, one that pays a salary and rejects another, and the next day's that pays it late."""
    paid, rejected, raised = completion(tenant), completion(tenant), completion(tenant)
    await deliver(payroll, drafted_under(paid, "73282932000074", "12 rue des Arts"))
    for event in (paid, rejected, raised):
        await deliver(payroll, event)
    over_two, left_open = (str(uuid4()), str(uuid4())), (str(uuid4()), str(uuid4()))
    weeks = (("2026-11-23", "2026-11-27", 35 * 60), ("2026-12-01", "2026-12-03", 21 * 60))
    for contract_id, member_id in (over_two, left_open):
        for start, end, minutes in weeks:
            work = reported(contract_id, member_id, start, end, minutes)
            await deliver(payroll, work.model_copy(update={"tenant": tenant, "data": {**work.data, **CDD}}))
    await payroll.close_month(date(2026, 11, 1), tenant=tenant, correlation_id=None)
    await deliver(payroll, cdd_completed(*over_two).model_copy(update={"tenant": tenant}))
    [original] = await payslips_of(payroll.resources, raised.data["contract_id"])
    changes = CorrectedInputs(gross_pay_cents=55500, hours_paid=Decimal(37))
    correction = await payroll.correct_payslip(
        UUID(original["payslip_id"]), "2 hours forgotten", changes, tenant=tenant, correlation_id=None
    )
    await payroll.correct_payslip(
        correction.payslip.payslip_id,
        "rate was 14 €",
        CorrectedInputs(gross_pay_cents=49000),
        tenant=tenant,
        correlation_id=None,
    )
    due_on = salary_due_on(date(2026, 12, 5))
    with pytest.raises(BankUnavailable):
        await dataclasses.replace(payroll, bank=FakeBank(fails=True)).run_payments(
            due_on, tenant=tenant, correlation_id=None
        )
    rejected_iban = (await payroll.payees.payee(tenant, UUID(rejected.data["member_id"]))).iban
    rejecting = dataclasses.replace(payroll, bank=FakeBank(rejects={rejected_iban: "AC04"}))
    outcome = await rejecting.run_payments(due_on, tenant=tenant, correlation_id=None)
    assert len(outcome.rejected) == 1
    assert UUID(original["payslip_id"]) in outcome.paid
    next_day = date.fromordinal(due_on.toordinal() + 1)
    later = await payroll.run_payments(next_day, tenant=tenant, correlation_id=None)
    assert later.late == list(outcome.rejected)


async def test_the_read_models_rebuilt_from_payrolls_events_hold_the_rows_its_commands_wrote(
    resources: Resources,
) -> None:
    tenant = "coop-rebuild"
    payroll = build(resources)
    await a_month_of_payroll(payroll, tenant)
    written = await read_models(resources)
    assert all(any(row["tenant"] == tenant for row in rows) for rows in written.values()), written
    projections = definition().rebuildable(payroll)
    assert [p.name for p in projections] == ["payroll-views"]
    assert list(definition().projections(payroll)) == []  # inline: not run live beside the commands
    runner = ProjectionRunner(resources.pool, projections, schema=resources.settings.db_schema)
    [views] = projections

    replayed = await runner.rebuild(views)

    async with resources.pool.acquire() as conn:
        assert replayed == await conn.fetchval("SELECT count(*) FROM events")
    assert await read_models(resources) == written  # the establishments too: kept, not replayed
    # Applied once more onto its own rows (what catching up from the start does), each event changes nothing.
    async with resources.pool.acquire() as conn:
        await save_checkpoint(conn, checkpoint_name(views), LogPosition.start())
    assert await runner.catch_up(views) == replayed
    assert await read_models(resources) == written
