"""What the shares aggregates know, as closed unions of frozen states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID


@dataclass(frozen=True)
class NoShares:
    """The member never subscribed a share."""


@dataclass(frozen=True)
class Shareholding:
    """The member's shares: how many, at which nominal, how much paid up."""

    member_id: UUID
    share_count: int
    nominal_cents: int
    subscribed_cents: int
    paid_cents: int
    movement_ids: frozenset[UUID] = frozenset()  # the subscriptions and payments recorded

    @property
    def unpaid_cents(self) -> int:
        return self.subscribed_cents - self.paid_cents


@dataclass(frozen=True)
class SharesRepaidToLeaver:
    """The leaver's shares were repaid; they stay liable until `liability_ends_on` (5 years)."""

    member_id: UUID
    repaid_cents: int
    liability_ends_on: date
    movement_ids: frozenset[UUID] = frozenset()  # the subscriptions, payments and the repayment recorded


SharesState = NoShares | Shareholding | SharesRepaidToLeaver


def recorded(state: SharesState, movement_id: UUID) -> bool:
    """The movement is in the member's register already: its id comes from the request's key, so this is
    the request run again after its answer was lost (ADR 023), to be answered without recording it twice."""
    return not isinstance(state, NoShares) and movement_id in state.movement_ids


@dataclass(frozen=True)
class Capital:
    """The cooperative's subscribed capital and the highest it ever reached (Code de commerce L231-5)."""

    capital_cents: int = 0
    historic_max_cents: int = 0

    @property
    def floor_cents(self) -> int:
        """A quarter of the historic maximum, rounded up: the capital may not go below it."""
        return -(-self.historic_max_cents // 4)


@dataclass(frozen=True)
class MemberStanding:
    """What the membership register says of the member when the command is given (resolved by the caller)."""

    exists: bool
    left_on: date | None = None  # the date they resigned or were excluded; None while a member
