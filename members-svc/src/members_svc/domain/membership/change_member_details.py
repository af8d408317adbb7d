"""Correct a member's register details: display name, e-mail, category."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from members_svc.domain.membership.events import MemberDetailsChanged
from members_svc.domain.membership.rules import NothingToChange, UnknownMember, check_category
from members_svc.domain.membership.state import MembershipState, RegisteredPerson
from members_svc.domain.personal_data import AlreadyErased, Sealer, checked_email


@dataclass(frozen=True)
class ChangeMemberDetails:
    member_id: UUID
    display_name: str | None
    email: str | None
    category: int | None
    now: datetime
    seal: Sealer | None = None  # needed when the name or the e-mail changes


def decide_change(command: ChangeMemberDetails, state: MembershipState) -> list[MemberDetailsChanged]:
    if not isinstance(state, RegisteredPerson):
        raise UnknownMember(f"no member {command.member_id}")
    if command.display_name is None and command.email is None and command.category is None:
        raise NothingToChange("name at least one of display_name, email, category")
    check_category(command.category)
    details: dict[str, str] = {}
    if command.display_name is not None:
        details["display_name"] = command.display_name
    if command.email is not None:
        details["email"] = checked_email(command.email)
    if details and state.erased:
        raise AlreadyErased(
            f"member {command.member_id}'s personal data was erased: no name is recorded again"
        )
    if details and command.seal is None:
        raise ValueError("a change of name or e-mail is sealed with the member's key")
    return [
        MemberDetailsChanged(
            member_id=command.member_id,
            sealed=command.seal(details) if details and command.seal else None,
            category=command.category,
            changed_at=command.now,
        )
    ]
