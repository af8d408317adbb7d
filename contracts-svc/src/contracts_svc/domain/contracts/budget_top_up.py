"""An amendment or a renewal of an activity's contract asks the activity account for its extra cost (ADR 026).

The draft reserved the planned employer cost over the contract's term (budget.py). A raise, more hours or a
longer term cost more: the new plan less what is reserved is asked of billing-svc by the same policy and the
same events as the draft's reservation, under an id derived from the amendment or renewal. Refused, the change
is refused (422, nothing recorded); pending, it is recorded and waits, not in force, until billing answers:
accepted, it takes effect; refused, it is dropped and the contract stays as it was.

A change that costs less asks for nothing and gives nothing back: what is reserved stays reserved until the
contract's payslip settles it at its real cost. The plan spans the whole term, but the work done before the
change was done at the old terms: the lower plan is not what the contract will cost, and giving back the
difference could give back budget that payslip will spend.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID, uuid5

from contracts_svc.domain.contracts.budget import (
    BudgetAccepted,
    BudgetAnswer,
    BudgetPending,
    BudgetRefused,
    ReservationRequest,
    planned_employer_cost_cents,
)
from contracts_svc.domain.contracts.budget_answer import check_budget_answered
from contracts_svc.domain.contracts.calendar import paris_day
from contracts_svc.domain.contracts.events import BudgetTopUp, ContractRenewed, Pay
from contracts_svc.domain.contracts.rules import BudgetReservationPending, ContractRuleBroken
from contracts_svc.domain.contracts.state import Contract

# The namespace of the top-ups' reservation ids: uuid5 of the contract and the amendment's or renewal's id.
TOP_UPS = UUID("5f1d2c3b-8e4a-5b6c-9d7e-0a1b2c3d4e5f")


def top_up_reservation_id(contract_id: UUID, move_id: UUID) -> UUID:
    """The same amendment or renewal sent again asks for the same reservation (billing answers it once)."""
    return uuid5(TOP_UPS, f"{contract_id}:{move_id}")


def additional_cost_cents(contract: Contract, pay: Pay, weekly_hours: Decimal, ends_on: date | None) -> int:
    """The changed terms' planned employer cost over the whole term, less what billing holds for the contract
    (nothing when it refused the draft's and the contract went on because work was reported)."""
    reservation = contract.budget_reservation
    if reservation is None:
        return 0
    reserved = reservation.amount_cents if reservation.status == "accepted" else 0
    planned = planned_employer_cost_cents(pay, weekly_hours, paris_day(contract.starts_at), ends_on)
    return max(0, planned - reserved)


def top_up_request(
    contract: Contract, move_id: UUID, amount_cents: int, tenant: str
) -> ReservationRequest | None:
    if contract.budget_reservation is None or amount_cents <= 0:
        return None
    return ReservationRequest(
        top_up_reservation_id(contract.contract_id, move_id),
        tenant,
        contract.budget_reservation.activity_id,
        amount_cents,
    )


def check_no_budget_awaited(contract: Contract, doing: str) -> None:
    """One answer awaited at a time: the next change's cost is counted from what billing holds."""
    check_budget_answered(contract, doing)
    waiting = contract.change_awaiting_budget
    if waiting is not None and waiting.budget_top_up is not None:
        kind = "renewal" if isinstance(waiting, ContractRenewed) else "amendment"
        raise BudgetReservationPending(
            f"contract {contract.contract_id} cannot be {doing} yet: its {kind}'s budget reservation of "
            f"{waiting.budget_top_up.amount_cents} cents on activity {waiting.budget_top_up.activity_id} "
            "awaits billing's answer; read the contract until budget_change.status is accepted or refused"
        )


def top_up_of(
    contract: Contract,
    move_id: UUID,
    amount_cents: int,
    answer: BudgetAnswer | None,
    *,
    kind: str,
    field: str,
) -> BudgetTopUp | None:
    """The top-up an amendment or renewal keeps, or its refusal named `activity_budget` (a 422)."""
    if contract.budget_reservation is None or amount_cents <= 0:
        return None
    reservation_id = top_up_reservation_id(contract.contract_id, move_id)
    activity_id = contract.budget_reservation.activity_id
    match answer:
        case BudgetRefused(available_cents=available):
            raise ContractRuleBroken(
                "activity_budget",
                f"the {kind}'s additional employer cost, {amount_cents} cents, exceeds the activity "
                f"account's available budget, {available} cents; the contract is unchanged",
                field=field,
            )
        case BudgetAccepted() | BudgetPending():
            status = "accepted" if isinstance(answer, BudgetAccepted) else "pending"
            return BudgetTopUp(
                reservation_id=reservation_id,
                activity_id=activity_id,
                amount_cents=amount_cents,
                status=status,
                parties=contract.parties,
            )
    raise ContractRuleBroken(
        "activity_budget",
        f"the activity account's budget was not asked for the {kind} (no answer)",
        field=field,
    )
