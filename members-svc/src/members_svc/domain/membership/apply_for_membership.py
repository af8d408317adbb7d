"""A person or a legal entity applies to become a member (sociétaire)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from members_svc.domain.membership.events import MemberApplied, PersonKind
from members_svc.domain.membership.rules import AlreadyApplied, check_category
from members_svc.domain.membership.state import MembershipState, NoMembership
from members_svc.domain.personal_data import Sealer, checked_email


@dataclass(frozen=True)
class ApplyForMembership:
    member_id: UUID
    person_kind: PersonKind
    display_name: str
    email: str | None
    category: int | None
    now: datetime
    seal: Sealer  # the applicant's data key: the name and e-mail are stored sealed


def decide_apply(command: ApplyForMembership, state: MembershipState) -> list[MemberApplied]:
    if not isinstance(state, NoMembership):
        raise AlreadyApplied(f"member {command.member_id} has already applied")
    check_category(command.category)
    details = {"display_name": command.display_name}
    if command.email is not None:
        details["email"] = checked_email(command.email)
    return [
        MemberApplied(
            member_id=command.member_id,
            person_kind=command.person_kind,
            sealed=command.seal(details),
            category=command.category,
            applied_at=command.now,
        )
    ]
