"""The membership aggregate's private, stored events."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

PersonKind = Literal["natural_person", "legal_entity"]


class MemberApplied(BaseModel):
    """Someone asked to become a sociétaire; the board or the AGM has not decided yet.

    `sealed` holds the name and e-mail, encrypted with the person's key (ADR 008). `display_name` and `email`
    in clear are only read from events recorded before it, and never written any more.
    """

    model_config = ConfigDict(frozen=True)

    member_id: UUID
    person_kind: PersonKind
    sealed: str | None = None
    display_name: str | None = None
    email: str | None = None
    category: int | None = None
    applied_at: datetime


class MemberDetailsChanged(BaseModel):
    """The member's register details were corrected; fields left out did not change.

    A new name or e-mail is in `sealed` (encrypted); the clear fields are those of older events only.
    """

    model_config = ConfigDict(frozen=True)

    member_id: UUID
    sealed: str | None = None
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


class PersonalDataRecorded(BaseModel):
    """A natural person's data was recorded, replacing the previous record; `fields` names those set."""

    model_config = ConfigDict(frozen=True)

    member_id: UUID
    sealed: str
    fields: tuple[str, ...]
    recorded_at: datetime


class PersonalDataErased(BaseModel):
    """The person's data key was deleted: what the sealed fields held can never be read again."""

    model_config = ConfigDict(frozen=True)

    member_id: UUID
    erased_at: datetime


MembershipEvent = (
    MemberApplied
    | MemberDetailsChanged
    | MemberAdmitted
    | MemberResigned
    | MemberExcluded
    | PersonalDataRecorded
    | PersonalDataErased
)
