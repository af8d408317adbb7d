"""Private membership events -> public `members.*` events (no personal data crosses the bus)."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from members_svc.domain.membership import (
    MemberAdmitted,
    MemberApplied,
    MemberExcluded,
    MemberResigned,
    MembershipEvent,
    PersonalDataErased,
)
from schemas.generated.members.member_admitted_v1 import MemberAdmittedV1
from schemas.generated.members.member_applied_v1 import MemberAppliedV1
from schemas.generated.members.member_left_v1 import MemberLeftV1
from schemas.generated.members.personal_data_erased_v1 import PersonalDataErasedV1
from services.command_loop import Decided
from services.envelope import Envelope


def _public_of(event: MembershipEvent) -> tuple[str, BaseModel] | None:
    match event:
        case MemberApplied():
            return "members.MemberApplied", MemberAppliedV1(
                member_id=event.member_id,
                person_kind=event.person_kind,
                category=event.category,
                applied_at=event.applied_at,
            )
        case MemberAdmitted():
            return "members.MemberAdmitted", MemberAdmittedV1(
                member_id=event.member_id, decided_by=event.decided_by, admitted_on=event.admitted_on
            )
        case MemberResigned():
            return "members.MemberLeft", MemberLeftV1(
                member_id=event.member_id, how="resigned", left_on=event.resigned_on
            )
        case MemberExcluded():
            # The reason stays here: it may say things about a person that do not belong on the bus.
            return "members.MemberLeft", MemberLeftV1(
                member_id=event.member_id, how="excluded", left_on=event.excluded_on
            )
        case PersonalDataErased():
            # Consumers that kept anything about this person drop it; the event itself names no one.
            return "members.PersonalDataErased", PersonalDataErasedV1(
                member_id=event.member_id, erased_at=event.erased_at
            )
    return None  # corrections of register details and personal data (sealed) stay private


def to_public(decided: Sequence[Decided[MembershipEvent]]) -> list[Envelope]:
    public: list[Envelope] = []
    for one in decided:
        found = _public_of(one.event)
        if found is not None:
            event_type, data = found
            public.append(one.public(event_type, data.model_dump(mode="json")))
    return public
