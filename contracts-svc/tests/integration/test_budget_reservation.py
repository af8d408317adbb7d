"""The budget check through the real draft handler on PostgreSQL, its policy chosen by settings: refused and
nothing appended above the activity account's budget; covered, the reservation requested on the bus with the
draft, and released with the cancellation; pending, no DPAE sent and no signature until billing accepts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
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
