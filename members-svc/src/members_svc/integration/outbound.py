"""Private membership events -> public `members.*` events (no personal data crosses the bus)."""

from __future__ import annotations

from collections.abc import Sequence

from members_svc.domain.membership import MemberApplied, MembershipEvent
from schemas.generated.members.member_applied_v1 import MemberAppliedV1
from services.command_loop import Decided
from services.envelope import Envelope


def to_public(decided: Sequence[Decided[MembershipEvent]]) -> list[Envelope]:
    public: list[Envelope] = []
    for one in decided:
        match one.event:
            case MemberApplied() as applied:
                data = MemberAppliedV1(
                    member_id=applied.member_id,
                    person_kind=applied.person_kind,
                    category=applied.category,
                    applied_at=applied.applied_at,
                )
                public.append(one.public("members.MemberApplied", data.model_dump(mode="json")))
    return public
