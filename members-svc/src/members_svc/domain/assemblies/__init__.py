"""The general assembly aggregate: decide(command, state) -> events, evolve(state, event) -> state.

Self-contained: the voter's college comes from the category the vote command carries, not from the register
(the membership aggregate's read model is not consulted).
"""

from __future__ import annotations

from dataclasses import replace

from members_svc.domain.assemblies.cast_vote import CastVote, decide_cast
from members_svc.domain.assemblies.close_assembly import CloseAssembly, decide_close
from members_svc.domain.assemblies.colleges import College, CollegeConfiguration, VotingRules
from members_svc.domain.assemblies.convene_assembly import ConveneAssembly, decide_convene
from members_svc.domain.assemblies.events import (
    AssemblyClosed,
    AssemblyConvened,
    AssemblyEvent,
    Choice,
    Resolution,
    ResolutionOutcome,
    VoteCast,
)
from members_svc.domain.assemblies.result import Tally
from members_svc.domain.assemblies.state import Assembly, AssemblyState, NoAssembly

__all__ = [
    "Assembly",
    "AssemblyClosed",
    "AssemblyCommand",
    "AssemblyConvened",
    "AssemblyEvent",
    "AssemblyState",
    "CastVote",
    "Choice",
    "CloseAssembly",
    "College",
    "CollegeConfiguration",
    "ConveneAssembly",
    "NoAssembly",
    "Resolution",
    "ResolutionOutcome",
    "VoteCast",
    "VotingRules",
    "decide",
    "evolve",
    "initial_state",
    "stream_id",
]

AssemblyCommand = ConveneAssembly | CastVote | CloseAssembly
initial_state: AssemblyState = NoAssembly()


def decide(command: AssemblyCommand, state: AssemblyState) -> list[AssemblyEvent]:
    match command:
        case ConveneAssembly():
            return list(decide_convene(command, state))
        case CastVote():
            return list(decide_cast(command, state))
        case CloseAssembly():
            return list(decide_close(command, state))


def evolve(state: AssemblyState, event: AssemblyEvent) -> AssemblyState:
    match event:
        case AssemblyConvened():
            return Assembly(
                assembly_id=event.assembly_id,
                kind=event.kind,
                resolutions=frozenset(r.number for r in event.resolutions),
                colleges=event.colleges,
                rules=event.rules,
                members_convened=event.members_convened,
            )
        case VoteCast():
            if not isinstance(state, Assembly):
                return state
            counted = (event.resolution, event.college)
            return replace(
                state,
                voted=state.voted | {(event.member_id, event.resolution)},
                categories={**state.categories, event.member_id: event.category},
                tallies={
                    **state.tallies,
                    counted: _counted(state.tallies.get(counted, Tally()), event.choice),
                },
            )
        case AssemblyClosed():
            if not isinstance(state, Assembly):
                return state
            return replace(state, closed=True)


def _counted(tally: Tally | None, choice: Choice) -> Tally:
    before = tally or Tally()
    return replace(before, **{choice: getattr(before, choice) + 1})


def stream_id(assembly_id: object) -> str:
    return f"assembly-{assembly_id}"
