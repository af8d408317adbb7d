"""A member casts their votes on some of the assembly's resolutions: one member, one vote per resolution."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from members_svc.domain.assemblies.colleges import college_of
from members_svc.domain.assemblies.events import Choice, VoteCast
from members_svc.domain.assemblies.rules import (
    AlreadyVoted,
    AssemblyClosedToVotes,
    CategoryChanged,
    CategoryWithoutCollege,
    EmptyBallot,
    UnknownAssembly,
    UnknownResolution,
)
from members_svc.domain.assemblies.state import Assembly, AssemblyState


@dataclass(frozen=True)
class CastVote:
    assembly_id: UUID
    member_id: UUID
    category: int  # the voter's member category, as the caller knows it: it places them in a college
    votes: tuple[tuple[int, Choice], ...]  # (resolution number, choice)
    now: datetime


def decide_cast(command: CastVote, state: AssemblyState) -> list[VoteCast]:
    if not isinstance(state, Assembly):
        raise UnknownAssembly(f"no assembly {command.assembly_id}")
    if state.closed:
        raise AssemblyClosedToVotes(f"assembly {command.assembly_id} is closed: the vote is over")
    if not command.votes:
        raise EmptyBallot("a ballot names at least one resolution")
    college = college_of(state.colleges, command.category)
    if college is None:
        raise CategoryWithoutCollege(f"category {command.category} belongs to none of the colleges")
    earlier = state.categories.get(command.member_id)
    if earlier is not None and earlier != command.category:
        raise CategoryChanged(
            f"member {command.member_id} votes in this assembly under category {earlier},"
            f" not {command.category}"
        )
    numbers = [number for number, _ in command.votes]
    unknown = sorted(set(numbers) - state.resolutions)
    if unknown:
        raise UnknownResolution(f"no resolution {', '.join(map(str, unknown))} in this assembly")
    if len(set(numbers)) != len(numbers):
        raise AlreadyVoted("one vote per resolution: the ballot names a resolution twice")
    again = sorted(n for n in numbers if (command.member_id, n) in state.voted)
    if again:
        raise AlreadyVoted(
            f"member {command.member_id} has already voted on resolution {', '.join(map(str, again))}"
        )
    return [
        VoteCast(
            assembly_id=command.assembly_id,
            member_id=command.member_id,
            category=command.category,
            college=college.code,
            resolution=number,
            choice=choice,
            cast_at=command.now,
        )
        for number, choice in command.votes
    ]
