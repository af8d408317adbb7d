"""The board or the general assembly admits an applicant as a member (sociétaire)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from members_svc.domain.membership.events import DecisionBody, MemberAdmitted
from members_svc.domain.membership.rules import NotAnApplicant, UnknownMember
from members_svc.domain.membership.state import MembershipState, RegisteredPerson


@dataclass(frozen=True)
class AdmitMember:
    member_id: UUID
    decided_by: DecisionBody
    admitted_on: date
    now: datetime


def decide_admit(command: AdmitMember, state: MembershipState) -> list[MemberAdmitted]:
    if not isinstance(state, RegisteredPerson):
        raise UnknownMember(f"no member {command.member_id}")
    if state.status != "applied":
        raise NotAnApplicant(f"member {command.member_id} is {state.status}, not an applicant")
    return [
        MemberAdmitted(
            member_id=command.member_id,
            decided_by=command.decided_by,
            admitted_on=command.admitted_on,
            recorded_at=command.now,
        )
    ]
