"""An amendment or a renewal of an activity's contract asks for its extra cost (ADR 026): given the contract
and its reservation, when AmendContract / RenewContract with the account's answer, then the top-up kept, the
refusal named and nothing changed, or the change awaiting billing; when billing answers, the change in force
or dropped; and the public request the top-up travels by, checked against its published schema."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid5

from contract_fixtures import CONTRACT, NOW, drafted, parties, spec

from contracts_svc.domain.contracts import (
    AmendContract,
    AnswerBudgetReservation,
    BudgetReservationAnswered,
    CancelContract,
    CompleteContract,
    Contract,
    ContractAmended,
    ContractDrafted,
    ContractEvent,
    ContractRenewed,
    Pay,
    RenewContract,
)
from contracts_svc.domain.contracts.budget import (
    BudgetAccepted,
    BudgetAnswer,
    BudgetPending,
    BudgetRefused,
    ReservationRequest,
)
from contracts_svc.domain.contracts.budget_top_up import top_up_reservation_id
from contracts_svc.domain.contracts.events import BudgetTopUp
from contracts_svc.domain.contracts.lifecycle import budget_request
from contracts_svc.domain.contracts.rules import BudgetReservationPending, ContractRuleBroken
from contracts_svc.integration.budget import answer_of
from contracts_svc.integration.outbound import to_public
from schemas.registry import model_for
from services.command_loop import Decided

ACTIVITY = UUID("0197a3c9-4d2e-7f10-8a3b-6c5d4e3f2a10")
AMENDMENT = uuid5(CONTRACT, "a raise to 18 euros")
RENEWAL = uuid5(CONTRACT, "a week more")
# The fixture's CDDU, 1-5 December at 15.00 €/h, 35 h a week, reserved 53,069 cents (test_budget.py).
# At 18.00 €/h: 1800 x 35 x 5 / 7 = 45,000 gross x 1.41516 = 63,682.2 -> 63,682, so 10,613 more.
# Renewed to 12 December (12 days): 1500 x 35 x 12 / 7 = 90,000 x 1.41516 = 127,364.4 -> 127,364: 74,295 more.
RESERVED, RAISED, RENEWED = 53_069, 63_682, 127_364
RAISE, LONGER = RAISED - RESERVED, RENEWED - RESERVED
NEW_END = date(2026, 12, 12)


def accepted_draft() -> ContractDrafted:
    return drafted(activity_id=ACTIVITY, budget=BudgetAccepted())


def raise_to_18(budget: BudgetAnswer | None = None, amendment_id: UUID = AMENDMENT) -> AmendContract:
    return AmendContract(
        CONTRACT,
        amendment_id,
        "more responsibilities",
        NOW,
        pay=Pay(basis="hourly", amount_cents=1800),
        budget=budget,
    )


def renewal(budget: BudgetAnswer | None = None) -> RenewContract:
    return RenewContract(CONTRACT, RENEWAL, NEW_END, "the tour goes on", NOW, budget=budget)


def top_up(reservation_id: UUID, amount: int, status: str) -> BudgetTopUp:
    return BudgetTopUp(
        reservation_id=reservation_id,
        activity_id=ACTIVITY,
        amount_cents=amount,
        status=status,
        parties=parties(),
    )


def amended(status: str) -> ContractAmended:
    return ContractAmended(
        contract_id=CONTRACT,
        reason="more responsibilities",
        job_title=None,
        weekly_hours=None,
        working_time=None,
        pay=Pay(basis="hourly", amount_cents=1800),
        amended_at=NOW,
        amendment_id=AMENDMENT,
        budget_top_up=top_up(top_up_reservation_id(CONTRACT, AMENDMENT), RAISE, status),
    )


def renewed(status: str) -> ContractRenewed:
    return ContractRenewed(
        contract_id=CONTRACT,
        previous_ends_on=date(2026, 12, 5),
        ends_on=NEW_END,
        reason="the tour goes on",
        renewed_at=NOW,
        renewal_id=RENEWAL,
        budget_top_up=top_up(top_up_reservation_id(CONTRACT, RENEWAL), LONGER, status),
    )


def answer(
    accepted: bool, reservation_id: UUID, amount: int, available: int | None = None
) -> AnswerBudgetReservation:
    return AnswerBudgetReservation(CONTRACT, accepted, amount, available, NOW, reservation_id=reservation_id)


def answered(status: str, reservation_id: UUID, available: int | None = None) -> BudgetReservationAnswered:
    return BudgetReservationAnswered(
        contract_id=CONTRACT,
        status=status,
        available_cents=available,
        answered_at=NOW,
        reservation_id=reservation_id,
    )


def contract(state: object) -> Contract:
    assert isinstance(state, Contract)
    return state


def test_a_raise_covered_by_the_account_reserves_its_additional_cost_and_is_in_force() -> None:
    state = contract(
        spec.given(accepted_draft()).when(raise_to_18(BudgetAccepted())).then(amended("accepted"))
    )
    assert state.pay.amount_cents == 1800
    assert state.budget_reservation is not None
    assert (state.budget_reservation.amount_cents, state.budget_reservation.status) == (RAISED, "accepted")


def test_a_raise_beyond_the_available_budget_is_refused_with_the_amounts_and_nothing_is_recorded() -> None:
    error = (
        spec.given(accepted_draft())
        .when(raise_to_18(BudgetRefused(available_cents=RAISE - 1)))
        .then_raises(
            ContractRuleBroken, match=f"{RAISE} cents, exceeds .* {RAISE - 1} cents; the contract is"
        )
    )
    assert (error.rule, error.field) == ("activity_budget", "pay")


def test_a_renewal_beyond_the_available_budget_is_refused_and_named_on_its_end() -> None:
    error = (
        spec.given(accepted_draft())
        .when(renewal(BudgetRefused(available_cents=0)))
        .then_raises(ContractRuleBroken, match=f"renewal's additional employer cost, {LONGER} cents")
    )
    assert (error.rule, error.field) == ("activity_budget", "ends_on")


def test_a_renewal_awaiting_billing_is_recorded_but_not_in_force() -> None:
    state = contract(spec.given(accepted_draft()).when(renewal(BudgetPending())).then(renewed("pending")))
    assert (state.ends_on, state.renewals) == (date(2026, 12, 5), 0)
    assert state.budget_reservation is not None
    assert state.budget_reservation.amount_cents == RESERVED
    assert state.change_awaiting_budget == renewed("pending")


def test_billing_accepting_the_top_up_puts_the_renewal_in_force() -> None:
    reservation_id = top_up_reservation_id(CONTRACT, RENEWAL)
    state = contract(
        spec.given(accepted_draft(), renewed("pending"))
        .when(answer(True, reservation_id, LONGER))
        .then(answered("accepted", reservation_id))
    )
    assert (state.ends_on, state.renewals, state.change_awaiting_budget) == (NEW_END, 1, None)
    assert state.budget_reservation is not None
    assert (state.budget_reservation.amount_cents, state.budget_reservation.status) == (RENEWED, "accepted")


def test_billing_refusing_the_top_up_drops_the_amendment_and_cancels_nothing() -> None:
    reservation_id = top_up_reservation_id(CONTRACT, AMENDMENT)
    state = contract(
        spec.given(accepted_draft(), amended("pending"))
        .when(answer(False, reservation_id, RAISE, 5_000))
        .then(answered("refused", reservation_id, 5_000))
    )
    assert (state.lifecycle, state.pay.amount_cents, state.change_awaiting_budget) == ("drafted", 1500, None)
    assert state.budget_reservation is not None
    assert state.budget_reservation.amount_cents == RESERVED
    assert state.budget_change is not None
    assert state.budget_change.budget_top_up is not None
    assert (state.budget_change.budget_top_up.status, state.budget_change.budget_top_up.available_cents) == (
        "refused",
        5_000,
    )


def test_a_second_answer_to_a_top_up_changes_nothing() -> None:
    reservation_id = top_up_reservation_id(CONTRACT, RENEWAL)
    given = (accepted_draft(), renewed("pending"), answered("accepted", reservation_id))
    spec.given(*given).when(answer(False, reservation_id, LONGER, 0)).then()


def test_a_top_up_accepted_after_the_contract_was_cancelled_changes_it_no_more() -> None:
    reservation_id = top_up_reservation_id(CONTRACT, RENEWAL)
    cancelled = spec.decider.decide(
        CancelContract(CONTRACT, "called off", NOW), spec.decider.fold([accepted_draft(), renewed("pending")])
    )
    state = contract(
        spec.given(accepted_draft(), renewed("pending"), *cancelled)
        .when(answer(True, reservation_id, LONGER))
        .then(answered("accepted", reservation_id))
    )
    assert (state.lifecycle, state.ends_on, state.renewals) == ("cancelled", date(2026, 12, 5), 0)


def test_while_a_top_up_awaits_billing_the_contract_is_neither_changed_again_nor_completed() -> None:
    given = spec.given(accepted_draft(), amended("pending"))
    given.when(renewal(BudgetAccepted())).then_raises(BudgetReservationPending, match="amendment's budget")
    spec.given(accepted_draft(), amended("pending")).when(
        CompleteContract(CONTRACT, date(2026, 12, 5), datetime(2026, 12, 6, tzinfo=UTC))
    ).then_raises(BudgetReservationPending, match="awaits billing's answer")


def test_a_change_to_a_contract_whose_drafts_reservation_is_pending_waits_for_it() -> None:
    pending = drafted(activity_id=ACTIVITY, budget=BudgetPending())
    spec.given(pending).when(raise_to_18(BudgetAccepted())).then_raises(BudgetReservationPending)
    assert budget_request(raise_to_18(), spec.decider.fold([pending]), "smartfr") is None


def test_a_change_that_costs_less_asks_nothing_and_keeps_what_is_reserved() -> None:
    part_time = AmendContract(
        CONTRACT, AMENDMENT, "fewer hours", NOW, working_time="part_time", weekly_hours=Decimal(20)
    )
    assert budget_request(part_time, spec.decider.fold([accepted_draft()]), "smartfr") is None
    [event] = spec.decider.decide(part_time, spec.decider.fold([accepted_draft()]))
    assert isinstance(event, ContractAmended)
    assert event.budget_top_up is None
    state = contract(spec.decider.fold([accepted_draft(), event]))
    assert state.weekly_hours == Decimal(20)
    assert state.budget_reservation is not None
    assert state.budget_reservation.amount_cents == RESERVED


def test_a_contract_of_no_activity_asks_nothing_for_a_raise() -> None:
    assert budget_request(raise_to_18(), spec.decider.fold([drafted()]), "smartfr") is None
    [event] = spec.decider.decide(raise_to_18(), spec.decider.fold([drafted()]))
    assert isinstance(event, ContractAmended)
    assert event.budget_top_up is None


def test_a_raise_without_the_accounts_answer_is_refused() -> None:
    spec.given(accepted_draft()).when(raise_to_18()).then_raises(ContractRuleBroken, match="not asked")


def test_the_top_up_is_asked_under_an_id_derived_from_the_change_so_a_resend_is_the_same_one() -> None:
    state = spec.decider.fold([accepted_draft()])
    asked = budget_request(raise_to_18(), state, "smartfr")
    assert asked == ReservationRequest(top_up_reservation_id(CONTRACT, AMENDMENT), "smartfr", ACTIVITY, RAISE)
    assert asked == budget_request(raise_to_18(), state, "smartfr")
    other = uuid5(CONTRACT, "another raise")
    assert budget_request(raise_to_18(amendment_id=other), state, "smartfr") != asked
    assert top_up_reservation_id(CONTRACT, AMENDMENT) not in (CONTRACT, AMENDMENT)
    # Recorded already (pending or in force): the resend is answered from the stream, nothing asked again.
    spec.given(accepted_draft(), amended("pending")).when(raise_to_18(BudgetPending())).then()
    assert (
        budget_request(raise_to_18(), spec.decider.fold([accepted_draft(), amended("pending")]), "x") is None
    )


def test_the_top_up_is_requested_by_a_public_event_of_its_schema() -> None:
    changes: list[ContractEvent] = [amended("pending"), renewed("accepted")]
    published = to_public(
        [
            Decided(e, CONTRACT, "x", f"contract-{CONTRACT}", v, "smartfr", NOW, CONTRACT, None, None)
            for v, e in enumerate(changes, start=2)
        ]
    )
    assert [p.event_type for p in published] == ["contracts.BudgetReservationRequested"] * 2
    for envelope in published:
        model_for(envelope.event_type, envelope.schema_version).model_validate(envelope.data)
    assert [(p.data["contract_id"], p.data["reservation_id"], p.data["amount_cents"]) for p in published] == [
        (str(CONTRACT), str(top_up_reservation_id(CONTRACT, AMENDMENT)), RAISE),
        (str(CONTRACT), str(top_up_reservation_id(CONTRACT, RENEWAL)), LONGER),
    ]


def test_billings_answer_to_a_top_up_is_the_contracts_command() -> None:
    reservation_id = top_up_reservation_id(CONTRACT, AMENDMENT)
    data = {
        "reservation_id": str(reservation_id),
        "contract_id": str(CONTRACT),
        "activity_id": str(ACTIVITY),
        "amount_cents": RAISE,
        "available_cents": 12,
        "refused_at": NOW.isoformat(),
    }
    assert answer_of("billing.BudgetReservationRefused", 1, data, NOW) == answer(
        False, reservation_id, RAISE, 12
    )
