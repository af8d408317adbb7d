"""How a budget reservation is answered (ADR 009 addendum, ADR 016).

`events` (the default): the reservation is requested by the public event
`contracts.BudgetReservationRequested` published with the draft; the contract is drafted with its reservation
`pending`, and billing-svc's answer, `billing.BudgetReserved` or `billing.BudgetReservationRefused`, becomes
`AnswerBudgetReservation` (accepted, or refused and the contract cancelled with the reason; `answer_of`).
An amendment or renewal that costs more asks for its top-up the same way (ADR 026).
`always_accept` and `refuse_above_cents` (an account holding that much) answer at once, for a contracts-svc
run without billing-svc.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contracts_svc.domain.contracts.budget import (
    BudgetAccepted,
    BudgetAnswer,
    BudgetPending,
    BudgetRefused,
    BudgetReservationPolicy,
    ReservationRequest,
)
from contracts_svc.domain.contracts.budget_answer import AnswerBudgetReservation
from schemas.generated.billing.budget_reservation_refused_v1 import BudgetReservationRefusedV1
from schemas.generated.billing.budget_reserved_v1 import BudgetReservedV1

RESERVED = "billing.BudgetReserved"
REFUSED = "billing.BudgetReservationRefused"


class AlwaysAccept:
    async def reserve(self, request: ReservationRequest) -> BudgetAnswer:
        return BudgetAccepted()


@dataclass(frozen=True)
class RefuseAbove:
    """An activity account holding `available_cents`: any larger reservation is refused."""

    available_cents: int

    async def reserve(self, request: ReservationRequest) -> BudgetAnswer:
        if request.amount_cents > self.available_cents:
            return BudgetRefused(available_cents=self.available_cents)
        return BudgetAccepted()


class AwaitBilling:
    """The request goes out as an event with the draft; billing's confirmation or refusal is awaited."""

    async def reserve(self, request: ReservationRequest) -> BudgetAnswer:
        return BudgetPending()


def policy(name: str, refuse_above_cents: int) -> BudgetReservationPolicy:
    if name == "refuse_above_cents":
        return RefuseAbove(refuse_above_cents)
    if name == "always_accept":
        return AlwaysAccept()
    return AwaitBilling()


def answer_of(
    event_type: str, schema_version: int, data: dict[str, object], now: datetime
) -> AnswerBudgetReservation | None:
    """billing's answer to a reservation as the contract's command: the contract is named by `contract_id`, or
    by the reservation id in the answers published before it (a draft's reservation id is its contract's)."""
    if schema_version != 1:
        return None
    if event_type == RESERVED:
        reserved = BudgetReservedV1.model_validate(data)
        return AnswerBudgetReservation(
            reserved.contract_id or reserved.reservation_id,
            True,
            reserved.amount_cents,
            None,
            now,
            reservation_id=reserved.reservation_id,
        )
    if event_type == REFUSED:
        refused = BudgetReservationRefusedV1.model_validate(data)
        return AnswerBudgetReservation(
            refused.contract_id or refused.reservation_id,
            False,
            refused.amount_cents,
            refused.available_cents,
            now,
            reservation_id=refused.reservation_id,
        )
    return None
