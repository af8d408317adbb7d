"""The shares aggregates: a member's holding (`shares-<member>`), the capital (`capital-<tenant>`)."""

from __future__ import annotations

from uuid import UUID

from members_svc.domain.shares.capital import (
    CapitalCommand,
    IncreaseCapital,
    ReduceCapital,
    capital_stream_id,
    decide_capital,
    evolve_capital,
    initial_capital,
)
from members_svc.domain.shares.events import (
    CapitalEvent,
    CapitalIncreased,
    CapitalReduced,
    ShareEvent,
    SharesPaid,
    SharesRepaid,
    SharesSubscribed,
)
from members_svc.domain.shares.pay_for_shares import PayForShares, decide_pay
from members_svc.domain.shares.repay_shares import RepayShares, decide_repay
from members_svc.domain.shares.state import (
    Capital,
    MemberStanding,
    NoShares,
    Shareholding,
    SharesRepaidToLeaver,
    SharesState,
)
from members_svc.domain.shares.subscribe_shares import SubscribeShares, decide_subscribe

__all__ = [
    "Capital",
    "CapitalCommand",
    "CapitalEvent",
    "CapitalIncreased",
    "CapitalReduced",
    "IncreaseCapital",
    "MemberStanding",
    "NoShares",
    "PayForShares",
    "ReduceCapital",
    "RepayShares",
    "ShareCommand",
    "ShareEvent",
    "Shareholding",
    "SharesPaid",
    "SharesRepaid",
    "SharesRepaidToLeaver",
    "SharesState",
    "SharesSubscribed",
    "SubscribeShares",
    "capital_stream_id",
    "decide",
    "decide_capital",
    "evolve",
    "evolve_capital",
    "initial_capital",
    "initial_state",
    "stream_id",
]

ShareCommand = SubscribeShares | PayForShares | RepayShares
initial_state: SharesState = NoShares()


def decide(command: ShareCommand, state: SharesState) -> list[ShareEvent]:
    match command:
        case SubscribeShares():
            return list(decide_subscribe(command, state))
        case PayForShares():
            return list(decide_pay(command, state))
        case RepayShares():
            return list(decide_repay(command, state))


def evolve(state: SharesState, event: ShareEvent) -> SharesState:
    match event:
        case SharesSubscribed():
            movements = _with(state, event.subscription_id)
            if isinstance(state, Shareholding):
                return Shareholding(
                    member_id=state.member_id,
                    share_count=state.share_count + event.share_count,
                    nominal_cents=event.nominal_cents,
                    subscribed_cents=state.subscribed_cents + event.amount_cents,
                    paid_cents=state.paid_cents,
                    movement_ids=movements,
                )
            return Shareholding(
                member_id=event.member_id,
                share_count=event.share_count,
                nominal_cents=event.nominal_cents,
                subscribed_cents=event.amount_cents,
                paid_cents=0,
                movement_ids=movements,
            )
        case SharesPaid():
            if not isinstance(state, Shareholding):
                return state
            return Shareholding(
                member_id=state.member_id,
                share_count=state.share_count,
                nominal_cents=state.nominal_cents,
                subscribed_cents=state.subscribed_cents,
                paid_cents=state.paid_cents + event.amount_cents,
                movement_ids=_with(state, event.payment_id),
            )
        case SharesRepaid():
            return SharesRepaidToLeaver(
                member_id=event.member_id,
                repaid_cents=event.amount_cents,
                liability_ends_on=event.liability_ends_on,
                movement_ids=_with(state, event.repayment_id),
            )


def _with(state: SharesState, movement_id: UUID | None) -> frozenset[UUID]:
    """The state's movements and this one (an event recorded before movements had ids adds none)."""
    movements = frozenset() if isinstance(state, NoShares) else state.movement_ids
    return movements if movement_id is None else movements | {movement_id}


def stream_id(member_id: object) -> str:
    return f"shares-{member_id}"
