"""The answers to a budget reservation until billing-svc keeps activity accounts (issue 5, item 6).

`always_accept` (the default: no account exists yet to refuse from), `refuse_above_cents` (tests and demos:
an account holding that much), and `events`: the reservation is requested by the public event
`contracts.BudgetReservationRequested` published with the draft, and billing's answer is awaited. billing-svc
does not answer yet; the contract is drafted with its reservation `pending` (ADR 009 addendum).
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts_svc.domain.contracts.budget import (
    BudgetAccepted,
    BudgetAnswer,
    BudgetPending,
    BudgetRefused,
    BudgetReservationPolicy,
    ReservationRequest,
)


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
    if name == "events":
        return AwaitBilling()
    return AlwaysAccept()
