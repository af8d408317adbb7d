"""Private shares events -> public `members.*` events: ids, counts, cents and dates (no personal data)."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from members_svc.domain.shares import ShareEvent, SharesPaid, SharesRepaid, SharesSubscribed
from schemas.generated.members.share_payment_received_v1 import SharePaymentReceivedV1
from schemas.generated.members.shares_repaid_v1 import SharesRepaidV1
from schemas.generated.members.shares_subscribed_v1 import SharesSubscribedV1
from services.command_loop import Decided
from services.envelope import Envelope


def _public_of(event: ShareEvent) -> tuple[str, BaseModel]:
    match event:
        case SharesSubscribed():
            return "members.SharesSubscribed", SharesSubscribedV1(
                member_id=event.member_id,
                share_count=event.share_count,
                nominal_cents=event.nominal_cents,
                amount_cents=event.amount_cents,
                subscribed_on=event.subscribed_on,
            )
        case SharesPaid():
            return "members.SharePaymentReceived", SharePaymentReceivedV1(
                member_id=event.member_id, amount_cents=event.amount_cents, paid_on=event.paid_on
            )
        case SharesRepaid():
            return "members.SharesRepaid", SharesRepaidV1(
                member_id=event.member_id,
                share_count=event.share_count,
                amount_cents=event.amount_cents,
                capital_cancelled_cents=event.capital_cancelled_cents,
                repaid_on=event.repaid_on,
                liability_ends_on=event.liability_ends_on,
            )


def to_public(decided: Sequence[Decided[ShareEvent]]) -> list[Envelope]:
    public: list[Envelope] = []
    for one in decided:
        event_type, data = _public_of(one.event)
        public.append(one.public(event_type, data.model_dump(mode="json")))
    return public
