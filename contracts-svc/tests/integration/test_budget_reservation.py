"""The budget check through the real draft handler on PostgreSQL, its policy chosen by settings: refused and
nothing appended above the activity account's budget; covered, the reservation requested on the bus with the
draft, and released with the cancellation; pending, no DPAE sent and no signature until billing accepts.
An amendment or renewal that costs more asks for its top-up the same way (ADR 026)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio
from member_fixtures import IDENTITY, known_member

from contracts_svc.api.contracts import PROBLEM_MAPPERS
from contracts_svc.bootstrap import Contracts, build
from contracts_svc.budget_answers import BudgetAnswers
from contracts_svc.config import Settings
from contracts_svc.domain import contracts
from contracts_svc.domain.contracts import Employer, Pay
from contracts_svc.domain.contracts.budget_top_up import top_up_reservation_id
from contracts_svc.domain.contracts.rules import BudgetReservationPending, ContractRuleBroken
from contracts_svc.entrypoints.definition import definition
from contracts_svc.integration.urssaf import FakeUrssaf
from services.db import create_pool, migrate
from services.envelope import Envelope
from services.eventstore.store import EventStore
from services.ids import new_event_id
from services.runtime import Resources
from services.testkit.infrastructure import fresh_schema

ACTIVITY = UUID("0197a3c9-4d2e-7f10-8a3b-6c5d4e3f2a10")
STARTS = datetime(2027, 3, 1, 8, tzinfo=UTC)  # Monday; 5 days at 15 €/h, 35 h a week
# 1500 x 35 x 5 / 7 = 37,500 cents gross, + 41.516 % employer contributions = 53,068.5 -> 53,069
COST = 53_069


@pytest_asyncio.fixture(scope="module")
async def schema_and_url(database_url: str) -> AsyncIterator[tuple[str, str]]:
    async with fresh_schema(database_url, prefix="contracts") as schema:
        conn = await asyncpg.connect(database_url)
        try:
            await migrate(conn, schema, definition().migrations_to_apply())
        finally:
            await conn.close()
        yield schema, database_url


async def resources_with(schema_and_url: tuple[str, str], **budget: object) -> Resources:
    schema, url = schema_and_url
    pool = await create_pool(url, schema)
    settings = Settings.model_validate({"database_url": url, "db_schema": schema, **budget})
    return Resources(settings, pool, EventStore(pool))


def activity_draft(member_id: UUID | None = None) -> contracts.DraftContract:
    return contracts.DraftContract(
        contract_id=new_event_id(),
        tenant="smartfr",
        member_id=member_id or new_event_id(),
        employer=Employer(
            employer_id=UUID(int=7),
            kind="cooperative",
            legal_name="Smart SCIC",
            siret="73282932000074",
            ape_code="90.01Z",
            street="12 rue des Arts",
            postal_code="75011",
            city="Paris",
            occupational_health_service="CMB Paris",
        ),
        contract_type="cddu",
        job_title="Régisseur",
        starts_at=STARTS,
        ends_on=(STARTS + timedelta(days=4)).date(),
        working_time="full_time",
        weekly_hours=Decimal(35),
        pay=Pay(basis="hourly", amount_cents=1500),
        status="non_cadre",
        now=STARTS - timedelta(days=10),
        sector="spectacle",
        activity_id=ACTIVITY,
    )


async def published(resources: Resources, contract_id: UUID) -> list[str]:
    async with resources.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT envelope->>'event_type' AS t FROM outbox WHERE message_key = $1 ORDER BY position",
            contracts.stream_id(contract_id),
        )
    return [row["t"] for row in rows]


@pytest.mark.parametrize("available", [COST - 1, COST])
async def test_the_refuse_above_policy_refuses_a_cent_over_and_covers_the_exact_cost(
    schema_and_url: tuple[str, str], available: int
) -> None:
    resources = await resources_with(
        schema_and_url, budget_policy="refuse_above_cents", budget_refuse_above_cents=available
    )
    try:
        service = build(resources)
        command = activity_draft()
        if available < COST:
            with pytest.raises(ContractRuleBroken, match="exceeds") as refused:
                await service.draft(command, tenant="smartfr", correlation_id="")
            assert refused.value.rule == "activity_budget"
            assert await resources.store.read_stream(contracts.stream_id(command.contract_id)) == []
            assert await published(resources, command.contract_id) == []
            return
        _, contract = await service.draft(command, tenant="smartfr", correlation_id="")
        assert contract.budget_reservation is not None
        assert (contract.budget_reservation.amount_cents, contract.budget_reservation.status) == (
            COST,
            "accepted",
        )
        await service.handle(
            contracts.CancelContract(contract.contract_id, "called off", STARTS - timedelta(days=9)),
            tenant="smartfr",
            correlation_id="",
        )
        assert await published(resources, contract.contract_id) == [
            "contracts.ContractDrafted",
            "contracts.BudgetReservationRequested",
            "contracts.ContractCancelled",
            "contracts.BudgetReservationReleased",
        ]
    finally:
        await resources.pool.close()


async def test_the_events_policy_drafts_the_contract_pending_on_billings_answer(
    schema_and_url: tuple[str, str],
) -> None:
    resources = await resources_with(schema_and_url, budget_policy="events")
    try:
        service = build(resources)
        _, contract = await service.draft(activity_draft(), tenant="smartfr", correlation_id="")
        assert contract.budget_reservation is not None
        assert contract.budget_reservation.status == "pending"
        assert "contracts.BudgetReservationRequested" in await published(resources, contract.contract_id)
    finally:
        await resources.pool.close()


def envelope(event_type: str, stream_id: str, data: dict[str, object]) -> Envelope:
    return Envelope(
        event_id=new_event_id(),
        event_type=event_type,
        schema_version=1,
        stream_id=stream_id,
        stream_version=1,
        occurred_at=datetime.now(UTC),
        tenant="smartfr",
        correlation_id=new_event_id(),
        data=data,
    )


async def declare(service: Contracts, contract_id: UUID, now: datetime) -> contracts.Contract:
    return (await service.declare_hire(contract_id, IDENTITY, now=now, tenant="smartfr", correlation_id=""))[
        1
    ]


async def sign(service: Contracts, contract_id: UUID, now: datetime) -> contracts.Contract:
    command = contracts.SignContract(contract_id, now)
    return (await service.handle(command, tenant="smartfr", correlation_id=""))[1]


async def test_a_pending_contract_is_declared_and_signed_only_once_billing_accepts_its_reservation(
    schema_and_url: tuple[str, str],
) -> None:
    resources = await resources_with(schema_and_url, budget_policy="events")
    urssaf = FakeUrssaf()
    try:
        service = replace(build(resources), declarations=urssaf)
        _, contract = await service.draft(
            activity_draft(await known_member(resources)), tenant="smartfr", correlation_id=""
        )
        contract_id, before_start = contract.contract_id, STARTS - timedelta(days=1)

        with pytest.raises(BudgetReservationPending) as pending:
            await declare(service, contract_id, before_start)
        assert urssaf.received == []  # no DPAE for a hire the budget may still refuse
        with pytest.raises(BudgetReservationPending):
            await sign(service, contract_id, before_start)
        problem = PROBLEM_MAPPERS[BudgetReservationPending](pending.value)
        assert (problem.status, problem.code) == (409, "budget_reservation_pending")

        reserved = {
            "reservation_id": str(contract_id),
            "activity_id": str(ACTIVITY),
            "amount_cents": COST,
            "reserved_at": datetime.now(UTC).isoformat(),
        }
        async with resources.pool.acquire() as conn, conn.transaction():
            await BudgetAnswers(resources.store).on_billing_event(
                conn, envelope("billing.BudgetReserved", f"account-{ACTIVITY}", reserved)
            )

        declared = await declare(service, contract_id, before_start)
        signed = await sign(service, contract_id, before_start)
        assert (len(urssaf.received), declared.lifecycle, signed.lifecycle) == (1, "hire_declared", "signed")
    finally:
        await resources.pool.close()


# ADR 026: at 20.00 €/h the 5 days cost 2000 x 35 x 5 / 7 = 50,000 x 1.41516 = 70,758 cents, so 17,689 more;
# renewed to 12 March at 20.00 €/h: 120,000 x 1.41516 = 169,819.2 -> 169,819, so 99,061 more than 70,758.
RAISED, RAISE, LONGER = 70_758, 70_758 - COST, 169_819 - 70_758
RAISE_TO_20 = Pay(basis="hourly", amount_cents=2000)


def raise_to_20(contract_id: UUID, amendment_id: UUID | None = None) -> contracts.AmendContract:
    return contracts.AmendContract(
        contract_id,
        amendment_id or new_event_id(),
        "more responsibilities",
        STARTS - timedelta(days=9),
        pay=RAISE_TO_20,
    )


async def test_an_amendment_within_the_budget_tops_up_and_a_renewal_beyond_it_is_refused_unchanged(
    schema_and_url: tuple[str, str],
) -> None:
    resources = await resources_with(
        schema_and_url, budget_policy="refuse_above_cents", budget_refuse_above_cents=COST
    )
    try:
        service = build(resources)
        _, drafted = await service.draft(activity_draft(), tenant="smartfr", correlation_id="")
        contract_id = drafted.contract_id
        _, amended = await service.move(raise_to_20(contract_id), tenant="smartfr", correlation_id="")
        assert amended.pay == RAISE_TO_20
        assert amended.budget_reservation is not None
        assert (amended.budget_reservation.amount_cents, amended.budget_reservation.status) == (
            RAISED,
            "accepted",
        )

        renewal = contracts.RenewContract(
            contract_id, new_event_id(), date(2027, 3, 12), "a week more", STARTS - timedelta(days=9)
        )
        before = await resources.store.read_stream(contracts.stream_id(contract_id))
        with pytest.raises(ContractRuleBroken, match=f"{LONGER} cents, exceeds .* {COST} cents") as refused:
            await service.move(renewal, tenant="smartfr", correlation_id="")
        problem = PROBLEM_MAPPERS[ContractRuleBroken](refused.value)
        assert (problem.status, problem.code) == (422, "contract_rule_activity_budget")
        assert await resources.store.read_stream(contracts.stream_id(contract_id)) == before
        assert await published(resources, contract_id) == [
            "contracts.ContractDrafted",
            "contracts.BudgetReservationRequested",
            "contracts.BudgetReservationRequested",
        ]
        _, unchanged = await service.read(contract_id, tenant="smartfr")
        assert isinstance(unchanged, contracts.Contract)
        assert (unchanged.ends_on, unchanged.renewals) == (date(2027, 3, 5), 0)
    finally:
        await resources.pool.close()


async def requested_top_ups(resources: Resources, contract_id: UUID) -> list[tuple[str, int]]:
    async with resources.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT envelope->'data' AS d FROM outbox WHERE message_key = $1 "
            "AND envelope->>'event_type' = 'contracts.BudgetReservationRequested' ORDER BY position",
            contracts.stream_id(contract_id),
        )
    data = [json.loads(row["d"]) if isinstance(row["d"], str) else row["d"] for row in rows]
    return [(d["reservation_id"], d["amount_cents"]) for d in data if d["reservation_id"] != str(contract_id)]


async def billing_answers(
    resources: Resources, event_type: str, contract_id: UUID, reservation_id: UUID, **fields: object
) -> None:
    data = {
        "reservation_id": str(reservation_id),
        "contract_id": str(contract_id),
        "activity_id": str(ACTIVITY),
        "amount_cents": RAISE,
        **fields,
    }
    async with resources.pool.acquire() as conn, conn.transaction():
        await BudgetAnswers(resources.store).on_billing_event(
            conn, envelope(event_type, f"account-{ACTIVITY}", data)
        )


async def test_an_amendment_awaiting_billing_takes_effect_once_accepted_and_is_dropped_if_refused(
    schema_and_url: tuple[str, str],
) -> None:
    resources = await resources_with(schema_and_url, budget_policy="events")
    try:
        service = build(resources)
        _, drafted = await service.draft(activity_draft(), tenant="smartfr", correlation_id="")
        contract_id = drafted.contract_id
        now = datetime.now(UTC).isoformat()
        await billing_answers(
            resources, "billing.BudgetReserved", contract_id, contract_id, amount_cents=COST, reserved_at=now
        )

        first = raise_to_20(contract_id)
        version, pending = await service.move(first, tenant="smartfr", correlation_id="")
        assert pending.pay.amount_cents == 1500  # not in force until billing covers it
        assert pending.change_awaiting_budget is not None
        top_up = top_up_reservation_id(contract_id, first.amendment_id)
        assert await requested_top_ups(resources, contract_id) == [(str(top_up), RAISE)]
        # Sent again (its answer lost): the same amendment, nothing asked twice.
        assert (await service.move(first, tenant="smartfr", correlation_id=""))[0] == version
        assert await requested_top_ups(resources, contract_id) == [(str(top_up), RAISE)]
        with pytest.raises(BudgetReservationPending):
            await service.move(raise_to_20(contract_id), tenant="smartfr", correlation_id="")

        await billing_answers(resources, "billing.BudgetReserved", contract_id, top_up, reserved_at=now)
        _, accepted = await service.read(contract_id, tenant="smartfr")
        assert isinstance(accepted, contracts.Contract)
        assert accepted.pay == RAISE_TO_20
        assert accepted.budget_reservation is not None
        assert accepted.budget_reservation.amount_cents == RAISED

        second = contracts.AmendContract(
            contract_id,
            new_event_id(),
            "more again",
            STARTS - timedelta(days=9),
            pay=Pay(basis="hourly", amount_cents=2500),
        )
        await service.move(second, tenant="smartfr", correlation_id="")
        refused_top_up = top_up_reservation_id(contract_id, second.amendment_id)
        await billing_answers(
            resources,
            "billing.BudgetReservationRefused",
            contract_id,
            refused_top_up,
            available_cents=1_000,
            refused_at=now,
        )
        _, refused = await service.read(contract_id, tenant="smartfr")
        assert isinstance(refused, contracts.Contract)
        assert (refused.lifecycle, refused.pay) == ("drafted", RAISE_TO_20)
        assert refused.budget_change is not None
        assert refused.budget_change.budget_top_up is not None
        assert refused.budget_change.budget_top_up.status == "refused"
    finally:
        await resources.pool.close()
