"""The membership aggregate's private, stored events."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

PersonKind = Literal["natural_person", "legal_entity"]


class MemberApplied(BaseModel):
    """Someone asked to become a sociétaire; the board or the AGM has not decided yet."""

    model_config = ConfigDict(frozen=True)

    member_id: UUID
    person_kind: PersonKind
    display_name: str
    email: str | None = None
    category: int | None = None
    applied_at: datetime


class MemberDetailsChanged(BaseModel):
    """The member's register details were corrected; fields left out did not change."""

    model_config = ConfigDict(frozen=True)

    member_id: UUID
    display_name: str | None = None
    email: str | None = None
    category: int | None = None
    changed_at: datetime


MembershipEvent = MemberApplied | MemberDetailsChanged
