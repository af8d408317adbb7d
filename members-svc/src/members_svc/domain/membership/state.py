"""What the membership aggregate knows, as a closed union of frozen states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from uuid import UUID

MembershipStatus = Literal["applied", "admitted", "resigned", "excluded"]


@dataclass(frozen=True)
class NoMembership:
    """The stream is empty: nobody applied under this id."""


@dataclass(frozen=True)
class RegisteredPerson:
    """Someone in the register from their application on: what the register shows, and where they stand.

    The name is not here: it is personal data, sealed in the events, that the decider never needs.
    `admitted_on` is the decision's date; `left_on` the date a resignation or exclusion took effect (the
    leaver's shares are repaid after it, and their liability runs five years from it).
    """

    member_id: UUID
    applied_at: datetime
    person_kind: str
    category: int | None
    status: MembershipStatus = "applied"
    admitted_on: date | None = None
    left_on: date | None = None
    erased: bool = False  # the person's data was erased (crypto-shredding, ADR 008)


MembershipState = NoMembership | RegisteredPerson
