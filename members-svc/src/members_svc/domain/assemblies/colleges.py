"""A tenant's voting colleges and voting rules, as its statutes set them (the data: `statutes.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

AssemblyKind = Literal["ordinary", "extraordinary"]
# "more_than_half": yes > 1/2 of the weighted votes cast; "two_thirds": yes >= 2/3 of them.
Majority = Literal["more_than_half", "two_thirds"]


class College(BaseModel):
    """A voting college: its weight in percent at the general assembly and the member categories in it."""

    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    weight: Decimal
    categories: tuple[int, ...]


class VotingRules(BaseModel):
    """The rules of one assembly, taken from the tenant's statutes when it is convened."""

    model_config = ConfigDict(frozen=True)

    redistribute_empty_colleges: bool
    abstentions_are_votes_cast: bool
    quorum: Decimal  # the share of the members convened who must take part, in percent
    majority: Majority


@dataclass(frozen=True)
class CollegeConfiguration:
    """A tenant's colleges and, per kind of assembly, its quorum and majority."""

    source: str
    colleges: tuple[College, ...]
    redistribute_empty_colleges: bool
    abstentions_are_votes_cast: bool
    quorum: dict[AssemblyKind, Decimal]
    majority: dict[AssemblyKind, Majority]

    def rules_for(self, kind: AssemblyKind) -> VotingRules:
        return VotingRules(
            redistribute_empty_colleges=self.redistribute_empty_colleges,
            abstentions_are_votes_cast=self.abstentions_are_votes_cast,
            quorum=self.quorum[kind],
            majority=self.majority[kind],
        )


def college_of(colleges: tuple[College, ...], category: int) -> College | None:
    return next((college for college in colleges if category in college.categories), None)
