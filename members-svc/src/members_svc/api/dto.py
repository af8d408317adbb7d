"""What the internal API accepts and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class MemberApplication(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_kind: Literal["natural_person", "legal_entity"]
    display_name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    category: int | None = Field(default=None, ge=1, le=9)


class Member(BaseModel):
    id: UUID
    object: Literal["member"] = "member"
    person_kind: str
    display_name: str
    category: int | None
    status: str
    applied_at: datetime


class MemberDetailsChange(BaseModel):
    """The fields to correct; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    category: int | None = Field(default=None, ge=1, le=9)
