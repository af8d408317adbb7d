"""The membership aggregate: decide(command, state) -> events, evolve(state, event) -> state."""

from __future__ import annotations

from dataclasses import replace

from members_svc.domain.membership.admit_member import AdmitMember, decide_admit
from members_svc.domain.membership.apply_for_membership import ApplyForMembership, decide_apply
from members_svc.domain.membership.change_member_details import ChangeMemberDetails, decide_change
from members_svc.domain.membership.events import (
    MemberAdmitted,
    MemberApplied,
    MemberDetailsChanged,
    MemberExcluded,
    MemberResigned,
    MembershipEvent,
)
from members_svc.domain.membership.leave import (
    ExcludeMember,
    ResignMembership,
    decide_exclude,
    decide_resign,
)
from members_svc.domain.membership.state import MembershipState, NoMembership, RegisteredPerson

__all__ = [
    "AdmitMember",
    "ApplyForMembership",
    "ChangeMemberDetails",
    "ExcludeMember",
    "MemberAdmitted",
    "MemberApplied",
    "MemberDetailsChanged",
    "MemberExcluded",
    "MemberResigned",
    "MembershipCommand",
    "MembershipEvent",
    "MembershipState",
    "NoMembership",
    "RegisteredPerson",
    "ResignMembership",
    "decide",
    "evolve",
    "initial_state",
    "stream_id",
]

MembershipCommand = ApplyForMembership | ChangeMemberDetails | AdmitMember | ResignMembership | ExcludeMember
initial_state: MembershipState = NoMembership()


def decide(command: MembershipCommand, state: MembershipState) -> list[MembershipEvent]:
    match command:
        case ApplyForMembership():
            return list(decide_apply(command, state))
        case ChangeMemberDetails():
            return list(decide_change(command, state))
        case AdmitMember():
            return list(decide_admit(command, state))
        case ResignMembership():
            return list(decide_resign(command, state))
        case ExcludeMember():
            return list(decide_exclude(command, state))


def evolve(state: MembershipState, event: MembershipEvent) -> MembershipState:
    if isinstance(event, MemberApplied):
        return RegisteredPerson(
            member_id=event.member_id,
            applied_at=event.applied_at,
            person_kind=event.person_kind,
            display_name=event.display_name,
            category=event.category,
        )
    if not isinstance(state, RegisteredPerson):
        return state
    match event:
        case MemberDetailsChanged():
            return replace(
                state,
                display_name=event.display_name or state.display_name,
                category=event.category if event.category is not None else state.category,
            )
        case MemberAdmitted():
            return replace(state, status="admitted", admitted_on=event.admitted_on)
        case MemberResigned():
            return replace(state, status="resigned", left_on=event.resigned_on)
        case MemberExcluded():
            return replace(state, status="excluded", left_on=event.excluded_on)
    return state


def stream_id(member_id: object) -> str:
    return f"member-{member_id}"
