"""A member leaves: by resignation, or excluded by the body the statutes name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from members_svc.domain.membership.events import DecisionBody, MemberExcluded, MemberResigned
from members_svc.domain.membership.rules import DateBeforeAdmission, NotAMember, ReasonRequired, UnknownMember
from members_svc.domain.membership.state import MembershipState, RegisteredPerson


@dataclass(frozen=True)
class ResignMembership:
    member_id: UUID
    resigned_on: date
    reason: str | None
    now: datetime


@dataclass(frozen=True)
class ExcludeMember:
    member_id: UUID
    decided_by: DecisionBody
    excluded_on: date
    reason: str
    now: datetime


def _admitted(member_id: UUID, state: MembershipState, leaving_on: date) -> RegisteredPerson:
    if not isinstance(state, RegisteredPerson):
        raise UnknownMember(f"no member {member_id}")
    if state.status != "admitted" or state.admitted_on is None:
        raise NotAMember(f"member {member_id} is {state.status}: only an admitted member can leave")
    if leaving_on < state.admitted_on:
        raise DateBeforeAdmission(f"{leaving_on} is before the admission on {state.admitted_on}")
    return state


def decide_resign(command: ResignMembership, state: MembershipState) -> list[MemberResigned]:
    _admitted(command.member_id, state, command.resigned_on)
    return [
        MemberResigned(
            member_id=command.member_id,
            resigned_on=command.resigned_on,
            reason=command.reason,
            recorded_at=command.now,
        )
    ]


def decide_exclude(command: ExcludeMember, state: MembershipState) -> list[MemberExcluded]:
    _admitted(command.member_id, state, command.excluded_on)
    if not command.reason.strip():
        raise ReasonRequired("an exclusion states its reason")
    return [
        MemberExcluded(
            member_id=command.member_id,
            decided_by=command.decided_by,
            excluded_on=command.excluded_on,
            reason=command.reason,
            recorded_at=command.now,
        )
    ]
