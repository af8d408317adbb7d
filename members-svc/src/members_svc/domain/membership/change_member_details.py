"""Correct a member's register details: display name, e-mail, category."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from members_svc.domain.membership.events import MemberDetailsChanged
from members_svc.domain.membership.rules import NothingToChange, UnknownMember, check_category
from members_svc.domain.membership.state import MembershipState, RegisteredPerson


@dataclass(frozen=True)
class ChangeMemberDetails:
    member_id: UUID
    display_name: str | None
    email: str | None
    category: int | None
    now: datetime


def decide_change(command: ChangeMemberDetails, state: MembershipState) -> list[MemberDetailsChanged]:
    if not isinstance(state, RegisteredPerson):
        raise UnknownMember(f"no member {command.member_id}")
    if command.display_name is None and command.email is None and command.category is None:
        raise NothingToChange("name at least one of display_name, email, category")
    check_category(command.category)
    return [
        MemberDetailsChanged(
            member_id=command.member_id,
            display_name=command.display_name,
            email=command.email,
            category=command.category,
            changed_at=command.now,
        )
    ]
