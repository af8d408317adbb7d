"""The shares aggregates' private, stored events: a member's holding, and the cooperative's capital."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class SharesSubscribed(BaseModel):
    """The member subscribed `share_count` shares (parts sociales) at the cooperative's nominal."""

    model_config = ConfigDict(frozen=True)

    member_id: UUID
    share_count: int
    nominal_cents: int
    amount_cents: int  # share_count x nominal_cents
    subscribed_on: date
    recorded_at: datetime
    subscription_id: UUID | None = None  # the request's (ADR 023); None in the events recorded before


class SharesPaid(BaseModel):
    """An instalment paid up on subscribed shares."""

    model_config = ConfigDict(frozen=True)

    member_id: UUID
    amount_cents: int
    paid_on: date
    recorded_at: datetime
    payment_id: UUID | None = None  # the request's (ADR 023); None in the events recorded before


class SharesRepaid(BaseModel):
    """A leaver's shares repaid at nominal (what they had paid up); liable until `liability_ends_on`."""

    model_config = ConfigDict(frozen=True)

    member_id: UUID
    share_count: int
    amount_cents: int  # what is paid back: the capital the member had paid up, at nominal
    capital_cancelled_cents: int  # the subscribed capital the shares stood for
    left_on: date
    accounts_approved_on: date
    repaid_on: date
    liability_ends_on: date
    recorded_at: datetime
    repayment_id: UUID | None = None  # the request's (ADR 023); None in the events recorded before


class CapitalIncreased(BaseModel):
    """The cooperative's subscribed capital grew; carries the running totals after it."""

    model_config = ConfigDict(frozen=True)

    amount_cents: int
    capital_cents: int
    historic_max_cents: int
    member_id: UUID


class CapitalReduced(BaseModel):
    """The cooperative's subscribed capital shrank by a repayment; the running totals after it."""

    model_config = ConfigDict(frozen=True)

    amount_cents: int
    capital_cents: int
    historic_max_cents: int
    member_id: UUID


ShareEvent = SharesSubscribed | SharesPaid | SharesRepaid
CapitalEvent = CapitalIncreased | CapitalReduced
