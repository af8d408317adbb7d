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
    PersonalDataErased,
    PersonalDataRecorded,
)
from members_svc.domain.membership.leave import (
    ExcludeMember,
    ResignMembership,
    decide_exclude,
    decide_resign,
)
from members_svc.domain.membership.record_personal_data import (
    ErasePersonalData,
    RecordPersonalData,
    decide_erase,
    decide_record,
)
from members_svc.domain.membership.state import MembershipState, NoMembership, RegisteredPerson

__all__ = [
    "AdmitMember",
    "ApplyForMembership",
    "ChangeMemberDetails",
    "ErasePersonalData",
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
    "PersonalDataErased",
    "PersonalDataRecorded",
    "RecordPersonalData",
    "RegisteredPerson",
    "ResignMembership",
    "decide",
    "evolve",
    "initial_state",
    "stream_id",
]

MembershipCommand = (
    ApplyForMembership
    | ChangeMemberDetails
    | AdmitMember
    | ResignMembership
    | ExcludeMember
    | RecordPersonalData
    | ErasePersonalData
)
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
        case RecordPersonalData():
            return list(decide_record(command, state))
        case ErasePersonalData():
            return list(decide_erase(command, state))


def evolve(state: MembershipState, event: MembershipEvent) -> MembershipState:
    if isinstance(event, MemberApplied):
        return RegisteredPerson(
            member_id=event.member_id,
            applied_at=event.applied_at,
            person_kind=event.person_kind,
            category=event.category,
        )
    if not isinstance(state, RegisteredPerson):
        return state
    match event:
        case MemberDetailsChanged():
            return replace(state, category=event.category if event.category is not None else state.category)
        case MemberAdmitted():
            return replace(state, status="admitted", admitted_on=event.admitted_on)
        case MemberResigned():
            return replace(state, status="resigned", left_on=event.resigned_on)
        case MemberExcluded():
            return replace(state, status="excluded", left_on=event.excluded_on)
        case PersonalDataErased():
            return replace(state, erased=True)
    return state


def stream_id(member_id: object) -> str:
    return f"member-{member_id}"
