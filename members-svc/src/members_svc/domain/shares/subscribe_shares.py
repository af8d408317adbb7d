"""A member subscribes shares (parts sociales) at the cooperative's nominal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from members_svc.domain.shares.events import SharesSubscribed
from members_svc.domain.shares.rules import (
    InvalidShareCount,
    MemberHasLeft,
    MemberNotFound,
    SharesAlreadyRepaid,
)
from members_svc.domain.shares.state import MemberStanding, SharesRepaidToLeaver, SharesState, recorded


@dataclass(frozen=True)
class SubscribeShares:
    member_id: UUID
    share_count: int
    nominal_cents: int
    subscribed_on: date
    standing: MemberStanding
    now: datetime
    subscription_id: UUID


def decide_subscribe(command: SubscribeShares, state: SharesState) -> list[SharesSubscribed]:
    if recorded(state, command.subscription_id):
        return []
    if not command.standing.exists:
        raise MemberNotFound(f"no member {command.member_id}")
    if command.standing.left_on is not None or isinstance(state, SharesRepaidToLeaver):
        if isinstance(state, SharesRepaidToLeaver):
            raise SharesAlreadyRepaid(f"member {command.member_id} left and was repaid")
        raise MemberHasLeft(f"member {command.member_id} left on {command.standing.left_on}")
    if command.share_count < 1:
        raise InvalidShareCount("share_count is one share at least")
    return [
        SharesSubscribed(
            member_id=command.member_id,
            share_count=command.share_count,
            nominal_cents=command.nominal_cents,
            amount_cents=command.share_count * command.nominal_cents,
            subscribed_on=command.subscribed_on,
            recorded_at=command.now,
            subscription_id=command.subscription_id,
        )
    ]
