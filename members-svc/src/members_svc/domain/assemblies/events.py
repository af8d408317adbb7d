"""The assembly aggregate's private, stored events."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from members_svc.domain.assemblies.colleges import AssemblyKind, College, VotingRules

Choice = Literal["yes", "no", "abstain"]


class Resolution(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: int
    title: str


class AssemblyConvened(BaseModel):
    """A general assembly is convened on its resolutions, with the colleges and rules of the statutes then."""

    model_config = ConfigDict(frozen=True)

    assembly_id: UUID
    title: str
    kind: AssemblyKind
    held_on: date
    members_convened: int
    resolutions: tuple[Resolution, ...]
    colleges: tuple[College, ...]
    rules: VotingRules
    convened_at: datetime


class VoteCast(BaseModel):
    """A member's vote on one resolution, in the college of the category they vote under."""

    model_config = ConfigDict(frozen=True)

    assembly_id: UUID
    member_id: UUID
    category: int
    college: str
    resolution: int
    choice: Choice
    cast_at: datetime


class ResolutionOutcome(BaseModel):
    """A resolution's result when the assembly closed: the weighted yes in percent, and whether it passed."""

    model_config = ConfigDict(frozen=True)

    number: int
    yes_percent: Decimal
    quorum_reached: bool
    adopted: bool


class AssemblyClosed(BaseModel):
    """The vote is over: no ballot is taken after this; the outcome of each resolution as it stood."""

    model_config = ConfigDict(frozen=True)

    assembly_id: UUID
    closed_on: date
    participants: int
    outcomes: tuple[ResolutionOutcome, ...]
    closed_at: datetime


AssemblyEvent = AssemblyConvened | VoteCast | AssemblyClosed
