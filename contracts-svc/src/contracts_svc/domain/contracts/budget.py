"""The budget check of production de projets: a contract of a member's activity reserves its employer cost on
the activity account, and is refused when the account cannot cover it.

The account is billing-svc's; contracts-svc never reads it. The handler asks a `BudgetReservationPolicy`
before the draft is decided, and the answer travels in the command (the domain stays pure): accepted,
refused with the available amount, or pending (requested by event, billing's answer awaited).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from typing import Protocol
from uuid import UUID

from contracts_svc.domain.contracts.calendar import add_months
from contracts_svc.domain.contracts.events import BudgetReservation, Pay
from contracts_svc.domain.contracts.rules import ContractRuleBroken

_COST = tomllib.loads(
    resources.files(__package__).joinpath("data", "employer_cost.toml").read_text(encoding="utf-8")
)
EMPLOYER_RATE = sum((Decimal(r) for r in _COST["employer_rates_percent"].values()), Decimal(0)) / 100
OPEN_ENDED_MONTHS = int(_COST["open_ended_months"])
DAYS_PER_WEEK = Decimal(7)
MONTH_DAYS = Decimal(365) / 12  # a monthly pay prorated per calendar day


@dataclass(frozen=True)
class ReservationRequest:
    reservation_id: UUID  # the contract's id: one reservation per contract, a resend is the same one
    tenant: str
    activity_id: UUID
    amount_cents: int


@dataclass(frozen=True)
class BudgetAccepted:
    """The activity account covers the amount: reserved."""


@dataclass(frozen=True)
class BudgetRefused:
    available_cents: int


@dataclass(frozen=True)
class BudgetPending:
    """Requested by event; billing-svc's answer (confirm or refuse) is awaited."""


BudgetAnswer = BudgetAccepted | BudgetRefused | BudgetPending


class BudgetReservationPolicy(Protocol):
    async def reserve(self, request: ReservationRequest) -> BudgetAnswer: ...


def planned_employer_cost_cents(
    pay: Pay, weekly_hours: Decimal, starts_on: date, ends_on: date | None
) -> int:
    """Planned gross over the contract's term (its first month if open-ended), plus employer contributions."""
    last = ends_on if ends_on is not None else add_months(starts_on, OPEN_ENDED_MONTHS)
    days = Decimal((last - starts_on).days + 1)
    if pay.basis == "hourly":
        gross = Decimal(pay.amount_cents) * weekly_hours * days / DAYS_PER_WEEK
    elif pay.basis == "monthly":
        gross = Decimal(pay.amount_cents) * days / MONTH_DAYS
    else:
        gross = Decimal(0)
    return int((gross * (1 + EMPLOYER_RATE)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def reservation_of(
    activity_id: UUID | None, amount_cents: int, answer: BudgetAnswer | None
) -> BudgetReservation | None:
    """The reservation a draft keeps, or the refusal named `activity_budget` (a 422)."""
    if activity_id is None:
        return None
    match answer:
        case BudgetRefused(available_cents=available):
            raise ContractRuleBroken(
                "activity_budget",
                f"the contract's employer cost, {amount_cents} cents, exceeds the activity account's "
                f"available budget, {available} cents",
                field="activity_id",
            )
        case BudgetAccepted():
            return BudgetReservation(activity_id=activity_id, amount_cents=amount_cents, status="accepted")
        case BudgetPending():
            return BudgetReservation(activity_id=activity_id, amount_cents=amount_cents, status="pending")
    raise ContractRuleBroken(
        "activity_budget", "the activity account's budget was not asked (no answer)", field="activity_id"
    )
