"""A leaver's shares repaid at nominal, once the AGM approved the accounts of the year they left."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from members_svc.domain.shares.events import SharesRepaid
from members_svc.domain.shares.rules import (
    LIABILITY_YEARS,
    AccountsNotApprovedSinceLeaving,
    MemberHasNotLeft,
    MemberNotFound,
    NoSharesSubscribed,
    SharesAlreadyRepaid,
)
from members_svc.domain.shares.state import (
    MemberStanding,
    Shareholding,
    SharesRepaidToLeaver,
    SharesState,
    recorded,
)


@dataclass(frozen=True)
class RepayShares:
    member_id: UUID
    accounts_approved_on: date  # the AGM that approved the accounts of the financial year the member left
    repaid_on: date
    standing: MemberStanding
    now: datetime
    repayment_id: UUID


def decide_repay(command: RepayShares, state: SharesState) -> list[SharesRepaid]:
    if recorded(state, command.repayment_id):
        return []
    if not command.standing.exists:
        raise MemberNotFound(f"no member {command.member_id}")
    if isinstance(state, SharesRepaidToLeaver):
        raise SharesAlreadyRepaid(f"member {command.member_id} was repaid already")
    if not isinstance(state, Shareholding):
        raise NoSharesSubscribed(f"member {command.member_id} holds no subscribed share")
    left_on = command.standing.left_on
    if left_on is None:
        raise MemberHasNotLeft(f"member {command.member_id} has not resigned: shares are repaid to leavers")
    if command.accounts_approved_on < left_on:
        raise AccountsNotApprovedSinceLeaving(
            f"the accounts approved on {command.accounts_approved_on} precede the leaving on {left_on}"
        )
    if command.repaid_on < command.accounts_approved_on:
        raise AccountsNotApprovedSinceLeaving(
            f"repaid_on {command.repaid_on} precedes the approval of the accounts"
            f" on {command.accounts_approved_on}"
        )
    return [
        SharesRepaid(
            member_id=command.member_id,
            share_count=state.share_count,
            amount_cents=state.paid_cents,
            capital_cancelled_cents=state.subscribed_cents,
            left_on=left_on,
            accounts_approved_on=command.accounts_approved_on,
            repaid_on=command.repaid_on,
            liability_ends_on=_years_after(left_on, LIABILITY_YEARS),
            recorded_at=command.now,
            repayment_id=command.repayment_id,
        )
    ]


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February -> 28 February
        return day.replace(year=day.year + years, day=28)
