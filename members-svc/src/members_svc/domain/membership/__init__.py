"""The membership aggregate: decide(command, state) -> events, evolve(state, event) -> state."""

from __future__ import annotations

from members_svc.domain.membership.apply_for_membership import ApplyForMembership, decide_apply
from members_svc.domain.membership.events import MemberApplied, MembershipEvent
from members_svc.domain.membership.state import Applicant, MembershipState, NoMembership

__all__ = [
    "Applicant",
    "ApplyForMembership",
    "MemberApplied",
    "MembershipEvent",
    "MembershipState",
    "NoMembership",
    "decide",
    "evolve",
    "initial_state",
    "stream_id",
]

MembershipCommand = ApplyForMembership
initial_state: MembershipState = NoMembership()


def decide(command: MembershipCommand, state: MembershipState) -> list[MembershipEvent]:
    match command:
        case ApplyForMembership():
            return decide_apply(command, state)


def evolve(state: MembershipState, event: MembershipEvent) -> MembershipState:
    match event:
        case MemberApplied():
            return Applicant(member_id=event.member_id, applied_at=event.applied_at)


def stream_id(member_id: object) -> str:
    return f"member-{member_id}"
