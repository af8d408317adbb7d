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

    @property
    def unpaid_cents(self) -> int:
        return self.subscribed_cents - self.paid_cents


@dataclass(frozen=True)
class SharesRepaidToLeaver:
    """The leaver's shares were repaid; they stay liable until `liability_ends_on` (5 years)."""

    member_id: UUID
    repaid_cents: int
    liability_ends_on: date


SharesState = NoShares | Shareholding | SharesRepaidToLeaver


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
