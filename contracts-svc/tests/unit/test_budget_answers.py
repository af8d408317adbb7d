"""billing-svc's answer to a pending reservation: given the drafted contract, when AnswerBudgetReservation
(from billing.BudgetReserved / BudgetReservationRefused), then accepted, or refused and cancelled with the
reason and no release (nothing was reserved); a second answer changes nothing. Until it is accepted, the
contract is neither declared (DPAE) nor signed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from contract_fixtures import CONTRACT, NOW, declared, drafted, parties, signed, spec

from contracts_svc.domain.contracts import (
    AnswerBudgetReservation,
    BudgetReservationAnswered,
    Contract,
    ContractCancelled,
    ContractDrafted,
    RecordHireDeclaration,
    SignContract,
    WorkPeriod,
    WorkReported,
)
from contracts_svc.domain.contracts.budget import BudgetAccepted, BudgetPending
from contracts_svc.domain.contracts.budget_answer import refusal_reason
from contracts_svc.domain.contracts.hire_declaration import Acknowledged
from contracts_svc.domain.contracts.rules import BudgetReservationPending
from contracts_svc.integration.budget import answer_of
from contracts_svc.integration.outbound import to_public
from services.command_loop import Decided

ACTIVITY = UUID("0197a3c9-4d2e-7f10-8a3b-6c5d4e3f2a10")
COST = 53_069


def pending() -> ContractDrafted:
    return drafted(activity_id=ACTIVITY, budget=BudgetPending())


def test_billing_reserving_the_budget_accepts_the_pending_reservation() -> None:
    state = (
        spec.given(pending())
        .when(AnswerBudgetReservation(CONTRACT, True, COST, None, NOW))
        .then(
            BudgetReservationAnswered(
                contract_id=CONTRACT, status="accepted", available_cents=None, answered_at=NOW
            )
        )
    )
    assert isinstance(state, Contract)
    assert state.budget_reservation is not None
    assert state.budget_reservation.status == "accepted"
    assert state.lifecycle == "drafted"


def test_billing_refusing_the_budget_cancels_the_contract_with_the_reason_and_releases_nothing() -> None:
    state = (
        spec.given(pending())
        .when(AnswerBudgetReservation(CONTRACT, False, COST, 9_000, NOW))
        .then(
            BudgetReservationAnswered(
                contract_id=CONTRACT, status="refused", available_cents=9_000, answered_at=NOW
            ),
            ContractCancelled(
                contract_id=CONTRACT,
                parties=parties(),
                reason=refusal_reason(COST, 9_000),
                cancelled_at=NOW,
                released_reservation=None,
            ),
        )
    )
    assert isinstance(state, Contract)
    assert state.budget_reservation is not None
    assert (state.lifecycle, state.budget_reservation.status) == ("cancelled", "refused")
    assert (state.cancel_reason or "").startswith("activity_budget:")
    decided = [
        Decided(e, CONTRACT, "x", "contract-x", 2, "smartfr", NOW, CONTRACT, None, None)
        for e in spec.decider.decide(
            AnswerBudgetReservation(CONTRACT, False, COST, 9_000, NOW), spec.decider.fold([pending()])
        )
    ]
    assert [p.event_type for p in to_public(decided)] == ["contracts.ContractCancelled"]  # no release


ACCEPTED = BudgetReservationAnswered(
    contract_id=CONTRACT, status="accepted", available_cents=None, answered_at=NOW
)
ACK = Acknowledged("DPAE-0001", NOW)


def test_a_contract_whose_budget_reservation_is_pending_is_neither_declared_nor_signed() -> None:
    spec.given(pending()).when(RecordHireDeclaration(CONTRACT, ACK, NOW)).then_raises(
        BudgetReservationPending, match="awaits billing's answer"
    )
    spec.given(pending()).when(SignContract(CONTRACT, NOW)).then_raises(BudgetReservationPending)
    # A stream declared before the rule existed: still not signed while pending.
    spec.given(pending(), declared()).when(SignContract(CONTRACT, NOW)).then_raises(BudgetReservationPending)
    cape = drafted("cape", activity_id=ACTIVITY, budget=BudgetPending())  # no DPAE: the signature waits
    spec.given(cape).when(SignContract(CONTRACT, NOW)).then_raises(BudgetReservationPending)


def test_once_billing_accepted_the_reservation_the_contract_is_declared_then_signed() -> None:
    spec.given(pending(), ACCEPTED).when(RecordHireDeclaration(CONTRACT, ACK, NOW)).then(declared())
    spec.given(pending(), ACCEPTED, declared()).when(SignContract(CONTRACT, NOW)).then(signed(NOW))


def test_a_second_answer_or_an_answer_to_an_accepted_reservation_changes_nothing() -> None:
    spec.given(pending(), ACCEPTED).when(AnswerBudgetReservation(CONTRACT, False, COST, 0, NOW)).then()
    accepted = drafted(activity_id=ACTIVITY, budget=BudgetAccepted())
    spec.given(accepted).when(AnswerBudgetReservation(CONTRACT, False, COST, 0, NOW)).then()


def test_a_refusal_after_work_was_reported_is_recorded_but_does_not_cancel_worked_time() -> None:
    contract = spec.decider.fold([pending()])
    assert isinstance(contract, Contract)
    starts = contract.starts_at
    worked = WorkReported(
        contract_id=CONTRACT,
        parties=parties(),
        terms=contract.terms,
        periods=(WorkPeriod(starts_at=starts, ends_at=starts + timedelta(hours=1)),),
        minutes=60,
        days=(starts.date(),),
        reported_at=NOW,
    )
    spec.given(pending(), worked).when(AnswerBudgetReservation(CONTRACT, False, COST, 0, NOW)).then(
        BudgetReservationAnswered(contract_id=CONTRACT, status="refused", available_cents=0, answered_at=NOW)
    )


def test_billings_events_are_read_as_the_contracts_commands() -> None:
    now = datetime(2026, 11, 27, tzinfo=UTC)
    data = {
        "reservation_id": str(CONTRACT),
        "activity_id": str(ACTIVITY),
        "amount_cents": COST,
        "available_cents": 12,
        "refused_at": now.isoformat(),
    }
    assert answer_of("billing.BudgetReservationRefused", 1, data, now) == AnswerBudgetReservation(
        CONTRACT, False, COST, 12, now, reservation_id=CONTRACT
    )
    reserved = {
        "reservation_id": str(CONTRACT),
        "activity_id": str(ACTIVITY),
        "amount_cents": COST,
        "reserved_at": now.isoformat(),
    }
    assert answer_of("billing.BudgetReserved", 1, reserved, now) == AnswerBudgetReservation(
        CONTRACT, True, COST, None, now, reservation_id=CONTRACT
    )
    assert answer_of("billing.InvoiceIssued", 1, {}, now) is None
