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
    member_id: UUID
    applied_at: datetime


MembershipState = NoMembership | Applicant
