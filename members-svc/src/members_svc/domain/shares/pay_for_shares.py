"""An instalment paid up on subscribed shares; never more than what is still unpaid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from members_svc.domain.shares.events import SharesPaid
from members_svc.domain.shares.rules import (
    InvalidAmount,
    MemberNotFound,
    NoSharesSubscribed,
    PaymentExceedsSubscription,
)
from members_svc.domain.shares.state import MemberStanding, Shareholding, SharesState, recorded


@dataclass(frozen=True)
class PayForShares:
    member_id: UUID
    amount_cents: int
    paid_on: date
    standing: MemberStanding
    now: datetime
    payment_id: UUID


def decide_pay(command: PayForShares, state: SharesState) -> list[SharesPaid]:
    if recorded(state, command.payment_id):
        return []
    if not command.standing.exists:
        raise MemberNotFound(f"no member {command.member_id}")
    if not isinstance(state, Shareholding):
        raise NoSharesSubscribed(f"member {command.member_id} holds no subscribed share")
    if command.amount_cents <= 0:
        raise InvalidAmount("amount_cents is a positive number of cents")
    if command.amount_cents > state.unpaid_cents:
        raise PaymentExceedsSubscription(
            f"{command.amount_cents} cents is more than the {state.unpaid_cents} cents still unpaid"
        )
    return [
        SharesPaid(
            member_id=command.member_id,
            amount_cents=command.amount_cents,
            paid_on=command.paid_on,
            recorded_at=command.now,
            payment_id=command.payment_id,
        )
    ]
