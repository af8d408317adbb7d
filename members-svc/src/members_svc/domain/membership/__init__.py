"""The membership aggregate: decide(command, state) -> events, evolve(state, event) -> state."""

from __future__ import annotations

from dataclasses import replace

from members_svc.domain.membership.apply_for_membership import ApplyForMembership, decide_apply
from members_svc.domain.membership.change_member_details import ChangeMemberDetails, decide_change
from members_svc.domain.membership.events import MemberApplied, MemberDetailsChanged, MembershipEvent
from members_svc.domain.membership.state import Applicant, MembershipState, NoMembership

__all__ = [
    "Applicant",
    "ApplyForMembership",
    "ChangeMemberDetails",
    "MemberApplied",
    "MemberDetailsChanged",
    "MembershipCommand",
    "MembershipEvent",
    "MembershipState",
    "NoMembership",
    "decide",
    "evolve",
    "initial_state",
    "stream_id",
]

MembershipCommand = ApplyForMembership | ChangeMemberDetails
initial_state: MembershipState = NoMembership()


def decide(command: MembershipCommand, state: MembershipState) -> list[MembershipEvent]:
    match command:
        case ApplyForMembership():
            return list(decide_apply(command, state))
        case ChangeMemberDetails():
            return list(decide_change(command, state))


def evolve(state: MembershipState, event: MembershipEvent) -> MembershipState:
    match event:
        case MemberApplied():
            return Applicant(
                member_id=event.member_id,
                applied_at=event.applied_at,
                person_kind=event.person_kind,
                display_name=event.display_name,
                category=event.category,
            )
        case MemberDetailsChanged():
            if not isinstance(state, Applicant):
                return state
            return replace(
                state,
                display_name=event.display_name or state.display_name,
                category=event.category if event.category is not None else state.category,
            )


def stream_id(member_id: object) -> str:
    return f"member-{member_id}"
