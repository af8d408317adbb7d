"""billing-svc's answer to a pending budget reservation (ADR 016): accepted, or refused and the contract
cancelled with the reason, as long as nothing was worked on it (work reported is paid whatever the budget).
An amendment's or renewal's top-up (ADR 026): its answer puts the change awaiting it in force or drops it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from contracts_svc.domain.contracts.events import BudgetReservationAnswered, ContractCancelled
from contracts_svc.domain.contracts.rules import BudgetReservationPending
from contracts_svc.domain.contracts.state import Contract, ContractState


@dataclass(frozen=True)
class AnswerBudgetReservation:
    contract_id: UUID
    accepted: bool
    amount_cents: int
    available_cents: int | None
    now: datetime
    reservation_id: UUID | None = None  # None or the contract's id: the draft's; else a top-up's (ADR 026)


def check_budget_answered(contract: Contract, doing: str) -> None:
    """A contract of an activity is declared (DPAE) and signed once billing accepted its reservation: a
    refusal cancels it, and a DPAE sent for a hire that never happens would have to be withdrawn."""
    reservation = contract.budget_reservation
    if reservation is not None and reservation.status == "pending":
        raise BudgetReservationPending(
            f"contract {contract.contract_id} cannot be {doing} yet: its budget reservation of "
            f"{reservation.amount_cents} cents on activity {reservation.activity_id} awaits billing's "
            "answer; read the contract until budget_reservation.status is accepted"
        )


def refusal_reason(amount_cents: int, available_cents: int | None) -> str:
    return (
        f"activity_budget: the contract's employer cost, {amount_cents} cents, exceeds the activity "
        f"account's available budget, {available_cents} cents (refused by billing)"
    )


def decide_answer(
    command: AnswerBudgetReservation, state: ContractState
) -> list[BudgetReservationAnswered | ContractCancelled]:
    if not isinstance(state, Contract) or state.budget_reservation is None:
        return []  # not a contract of an activity (or not this service's): nothing was asked
    if command.reservation_id not in (None, command.contract_id):
        return [*_answer_top_up(command, state)]
    if state.budget_reservation.status != "pending":
        return []  # answered already (a redelivery), or accepted by a policy
    answered = BudgetReservationAnswered(
        contract_id=command.contract_id,
        status="accepted" if command.accepted else "refused",
        available_cents=None if command.accepted else command.available_cents,
        answered_at=command.now,
    )
    if command.accepted or state.lifecycle in ("completed", "cancelled") or state.minutes_worked:
        return [answered]
    return [
        answered,
        ContractCancelled(
            contract_id=command.contract_id,
            parties=state.parties,
            reason=refusal_reason(command.amount_cents, command.available_cents),
            cancelled_at=command.now,
            released_reservation=None,  # nothing was reserved: no release to send
        ),
    ]


def _answer_top_up(command: AnswerBudgetReservation, state: Contract) -> list[BudgetReservationAnswered]:
    """The change awaiting this top-up takes effect (accepted) or is dropped (refused): never a cancellation,
    the contract stands on what billing holds for it already."""
    waiting = state.change_awaiting_budget
    top_up = None if waiting is None else waiting.budget_top_up
    if top_up is None or top_up.reservation_id != command.reservation_id:
        return []  # answered already (a redelivery), or not the top-up awaited
    return [
        BudgetReservationAnswered(
            contract_id=command.contract_id,
            status="accepted" if command.accepted else "refused",
            available_cents=None if command.accepted else command.available_cents,
            answered_at=command.now,
            reservation_id=command.reservation_id,
        )
    ]
