"""What the internal API accepts and answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class MemberApplication(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_kind: Literal["natural_person", "legal_entity"]
    display_name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)  # checked by the domain (email-validator)
    category: int | None = Field(default=None, ge=1, le=9)


class Member(BaseModel):
    id: UUID
    object: Literal["member"] = "member"
    person_kind: str
    # Personal data (ADR 008): None once erased, and in the answers to POSTs (the gateway keeps those 7 days).
    display_name: str | None
    category: int | None
    status: str
    applied_at: datetime
    admitted_on: date | None = None
    left_on: date | None = None
    erased: bool = False


class MemberDetailsChange(BaseModel):
    """The fields to correct; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    category: int | None = Field(default=None, ge=1, le=9)


DecisionBody = Literal["board", "general_assembly"]


class Admission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decided_by: DecisionBody
    admitted_on: date


class Resignation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resigned_on: date
    reason: str | None = Field(default=None, max_length=500)


class Exclusion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decided_by: DecisionBody
    excluded_on: date
    reason: str = Field(min_length=1, max_length=500)
