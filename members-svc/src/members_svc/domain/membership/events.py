"""The membership aggregate's private, stored events."""

from __future__ import annotations

from datetime import date, datetime
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


DecisionBody = Literal["board", "general_assembly"]


class MemberAdmitted(BaseModel):
    """The body the statutes name (board or AGM) admitted the applicant, on that date."""

    model_config = ConfigDict(frozen=True)

    member_id: UUID
    decided_by: DecisionBody
    admitted_on: date
    recorded_at: datetime


class MemberResigned(BaseModel):
    """The member left of their own will; `resigned_on` is when it took effect."""

    model_config = ConfigDict(frozen=True)

    member_id: UUID
    resigned_on: date
    reason: str | None = None
    recorded_at: datetime


class MemberExcluded(BaseModel):
    """The body the statutes name excluded the member, for a stated reason."""

    model_config = ConfigDict(frozen=True)

    member_id: UUID
    decided_by: DecisionBody
    excluded_on: date
    reason: str
    recorded_at: datetime


MembershipEvent = MemberApplied | MemberDetailsChanged | MemberAdmitted | MemberResigned | MemberExcluded
