"""What the membership aggregate knows, as a closed union of frozen states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class NoMembership:
    """The stream is empty: nobody applied under this id."""


@dataclass(frozen=True)
class Applicant:
    """Applied, not yet admitted: what the register shows of them."""

    member_id: UUID
    applied_at: datetime
    person_kind: str
    display_name: str
    category: int | None
    status: str = "applied"


MembershipState = NoMembership | Applicant
