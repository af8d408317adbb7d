"""Close a general assembly: the vote is over; each resolution's weighted result is recorded as it stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from members_svc.domain.assemblies.events import AssemblyClosed, ResolutionOutcome
from members_svc.domain.assemblies.result import Tally, percent, weighted_result
from members_svc.domain.assemblies.rules import AssemblyClosedToVotes, UnknownAssembly
from members_svc.domain.assemblies.state import Assembly, AssemblyState


@dataclass(frozen=True)
class CloseAssembly:
    assembly_id: UUID
    closed_on: date
    now: datetime


def decide_close(command: CloseAssembly, state: AssemblyState) -> list[AssemblyClosed]:
    if not isinstance(state, Assembly):
        raise UnknownAssembly(f"no assembly {command.assembly_id}")
    if state.closed:
        raise AssemblyClosedToVotes(f"assembly {command.assembly_id} is already closed")
    participants = len(state.categories)
    outcomes = []
    for number in sorted(state.resolutions):
        tallies: dict[str, Tally] = {
            college: tally for (resolution, college), tally in state.tallies.items() if resolution == number
        }
        result = weighted_result(
            state.colleges,
            tallies,
            state.rules,
            participants=participants,
            members_convened=state.members_convened,
        )
        outcomes.append(
            ResolutionOutcome(
                number=number,
                yes_percent=percent(result.yes),
                quorum_reached=result.quorum_reached,
                adopted=result.adopted,
            )
        )
    return [
        AssemblyClosed(
            assembly_id=command.assembly_id,
            closed_on=command.closed_on,
            participants=participants,
            outcomes=tuple(outcomes),
            closed_at=command.now,
        )
    ]
