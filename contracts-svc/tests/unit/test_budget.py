"""The budget check of production de projets: given the activity account's answer in the draft command, when
DraftContract / CancelContract, then the reservation kept, the refusal named, the release; and the public
events the reservation is exchanged by with billing-svc, each checked against its published schema."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from contract_fixtures import CONTRACT, NOW, draft, drafted, parties, spec

from contracts_svc.domain.contracts import CancelContract, ContractCancelled, ContractEvent
from contracts_svc.domain.contracts.budget import (
    BudgetAccepted,
    BudgetPending,
    BudgetRefused,
    ReservationRequest,
)
from contracts_svc.domain.contracts.events import BudgetReservation
from contracts_svc.domain.contracts.rules import ContractRuleBroken
from contracts_svc.integration.budget import AwaitBilling, RefuseAbove, policy
from contracts_svc.integration.outbound import to_public
from schemas.registry import model_for
from services.command_loop import Decided

ACTIVITY = UUID("0197a3c9-4d2e-7f10-8a3b-6c5d4e3f2a10")
# The fixture's CDDU: 15.00 €/h, 35 h a week, 1-5 December (5 days): 1500 x 35 x 5 / 7 = 37,500 cents gross;
# employer contributions of data/employer_cost.toml sum to 41.516 %: 37,500 x 1.41516 = 53,068.5 -> 53,069.
COST = 53_069


def reservation(status: str) -> BudgetReservation:
    return BudgetReservation(activity_id=ACTIVITY, amount_cents=COST, status=status)


def with_reservation(status: str) -> object:
    """The draft of no activity, plus the reservation: the event an activity's draft must decide."""
    return drafted().model_copy(update={"budget_reservation": reservation(status)})


def test_an_accepted_reservation_is_kept_on_the_drafted_contract() -> None:
    command = draft(activity_id=ACTIVITY, budget=BudgetAccepted())
    state = spec.given().when(command).then(with_reservation("accepted"))  # type: ignore[arg-type]
    assert state.budget_reservation == reservation("accepted")  # type: ignore[union-attr]


def test_a_contract_costing_more_than_the_available_budget_is_refused_and_named() -> None:
    error = (
        spec.given()
        .when(draft(activity_id=ACTIVITY, budget=BudgetRefused(available_cents=COST - 1)))
        .then_raises(ContractRuleBroken, match=f"{COST} cents, exceeds .* {COST - 1} cents")
    )
    assert (error.rule, error.field) == ("activity_budget", "activity_id")


def test_a_reservation_awaiting_billing_keeps_the_contract_pending_on_it() -> None:
    command = draft(activity_id=ACTIVITY, budget=BudgetPending())
    spec.given().when(command).then(with_reservation("pending"))  # type: ignore[arg-type]


def test_a_contract_of_no_activity_reserves_nothing() -> None:
    state = spec.given().when(draft(budget=BudgetRefused(available_cents=0))).then(drafted())
    assert state.budget_reservation is None  # type: ignore[union-attr]


def test_an_activity_contract_without_the_accounts_answer_is_refused() -> None:
    spec.given().when(draft(activity_id=ACTIVITY)).then_raises(ContractRuleBroken, match="not asked")


def test_cancelling_a_contract_releases_its_reservation() -> None:
    given = drafted(activity_id=ACTIVITY, budget=BudgetAccepted())
    spec.given(given).when(CancelContract(CONTRACT, "called off", NOW)).then(
        ContractCancelled(
            contract_id=CONTRACT,
            parties=parties(),
            reason="called off",
            cancelled_at=NOW,
            released_reservation=reservation("accepted"),
        )
    )


def decided(event: ContractEvent, version: int) -> Decided[ContractEvent]:
    return Decided(
        event=event,
        event_id=uuid4(),
        event_type=type(event).__name__,
        stream_id=f"contract-{CONTRACT}",
        stream_version=version,
        tenant="smartfr",
        occurred_at=datetime.now(UTC),
        correlation_id=uuid4(),
        causation_id=None,
        traceparent=None,
    )


def test_the_reservation_is_requested_and_released_by_public_events_of_their_schema() -> None:
    drafted_event = drafted(activity_id=ACTIVITY, budget=BudgetPending())
    cancelled = ContractCancelled(
        contract_id=CONTRACT,
        parties=parties(),
        reason="called off",
        cancelled_at=NOW,
        released_reservation=reservation("pending"),
    )
    published = to_public([decided(drafted_event, 1), decided(cancelled, 2)])
    types = [e.event_type for e in published]
    assert types == [
        "contracts.ContractDrafted",
        "contracts.BudgetReservationRequested",
        "contracts.ContractCancelled",
        "contracts.BudgetReservationReleased",
    ]
    for envelope in published:
        model_for(envelope.event_type, envelope.schema_version).model_validate(envelope.data)
    requested, released = published[1].data, published[3].data
    assert (requested["reservation_id"], requested["activity_id"], requested["amount_cents"]) == (
        str(CONTRACT),
        str(ACTIVITY),
        COST,
    )
    assert (released["reservation_id"], released["amount_cents"]) == (str(CONTRACT), COST)
    # No reservation, no budget event.
    assert [e.event_type for e in to_public([decided(drafted(), 1)])] == ["contracts.ContractDrafted"]


@pytest.mark.parametrize(
    ("available", "answer"),
    [(COST, BudgetAccepted()), (COST - 1, BudgetRefused(available_cents=COST - 1))],
)
def test_the_refuse_above_policy_covers_up_to_its_amount(available: int, answer: object) -> None:
    request = ReservationRequest(CONTRACT, "smartfr", ACTIVITY, COST)
    assert asyncio.run(RefuseAbove(available).reserve(request)) == answer


def test_the_policies_are_chosen_by_settings() -> None:
    request = ReservationRequest(CONTRACT, "smartfr", ACTIVITY, COST)
    assert asyncio.run(policy("always_accept", 0).reserve(request)) == BudgetAccepted()
    assert asyncio.run(policy("events", 0).reserve(request)) == BudgetPending()
    assert isinstance(policy("events", 0), AwaitBilling)
    assert asyncio.run(policy("refuse_above_cents", 10).reserve(request)) == BudgetRefused(10)
