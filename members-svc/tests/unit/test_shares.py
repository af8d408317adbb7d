"""The shares aggregates: given events, when a command, then events (or the named refusal)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from members_svc.domain.shares import (
    Capital,
    CapitalIncreased,
    CapitalReduced,
    IncreaseCapital,
    MemberStanding,
    PayForShares,
    ReduceCapital,
    RepayShares,
    Shareholding,
    SharesPaid,
    SharesRepaid,
    SharesRepaidToLeaver,
    SharesSubscribed,
    SubscribeShares,
)
from members_svc.domain.shares.codec import CAPITAL, CAPITAL_CODEC, SHARES, SHARES_CODEC
from members_svc.domain.shares.rules import (
    AccountsNotApprovedSinceLeaving,
    CapitalBelowFloor,
    InvalidAmount,
    InvalidShareCount,
    MemberHasLeft,
    MemberHasNotLeft,
    MemberNotFound,
    NoSharesSubscribed,
    PaymentExceedsSubscription,
    SharesAlreadyRepaid,
    UnknownNominal,
    nominal_cents,
)
from services.testkit.spec import Spec

MEMBER = UUID("0192f0a0-0000-7000-8000-000000000001")
OTHER = UUID("0192f0a0-0000-7000-8000-000000000002")
NOW = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)
NOMINAL = 3000  # SmartFr: 30 EUR
MEMBER_STANDING = MemberStanding(exists=True)
LEFT_ON = date(2026, 6, 30)
LEAVER = MemberStanding(exists=True, left_on=LEFT_ON)
AGM = date(2027, 6, 15)  # the AGM approves the accounts of 2026, the year the member left

# The movements' ids, from their requests' keys in the service (ADR 023).
SUBSCRIPTION = UUID("0192f0a0-0000-7000-8000-00000000a001")
SECOND_SUBSCRIPTION = UUID("0192f0a0-0000-7000-8000-00000000a002")
FIRST_PAYMENT = UUID("0192f0a0-0000-7000-8000-00000000b001")
PAYMENT = UUID("0192f0a0-0000-7000-8000-00000000b002")
REPAYMENT = UUID("0192f0a0-0000-7000-8000-00000000c001")

shares = Spec(SHARES, codec=SHARES_CODEC)
capital = Spec(CAPITAL, codec=CAPITAL_CODEC)


def subscription(
    count: int = 10, standing: MemberStanding = MEMBER_STANDING, subscription_id: UUID = SUBSCRIPTION
) -> SubscribeShares:
    return SubscribeShares(
        member_id=MEMBER,
        share_count=count,
        nominal_cents=NOMINAL,
        subscribed_on=date(2026, 1, 10),
        standing=standing,
        now=NOW,
        subscription_id=subscription_id,
    )


def subscribed(count: int = 10, subscription_id: UUID | None = SUBSCRIPTION) -> SharesSubscribed:
    return SharesSubscribed(
        member_id=MEMBER,
        share_count=count,
        nominal_cents=NOMINAL,
        amount_cents=count * NOMINAL,
        subscribed_on=date(2026, 1, 10),
        recorded_at=NOW,
        subscription_id=subscription_id,
    )


def payment(
    amount: int, standing: MemberStanding = MEMBER_STANDING, payment_id: UUID = PAYMENT
) -> PayForShares:
    return PayForShares(
        member_id=MEMBER,
        amount_cents=amount,
        paid_on=date(2026, 2, 1),
        standing=standing,
        now=NOW,
        payment_id=payment_id,
    )


def paid(amount: int, payment_id: UUID = PAYMENT) -> SharesPaid:
    return SharesPaid(
        member_id=MEMBER,
        amount_cents=amount,
        paid_on=date(2026, 2, 1),
        recorded_at=NOW,
        payment_id=payment_id,
    )


def repayment(
    standing: MemberStanding = LEAVER,
    approved_on: date = AGM,
    repaid_on: date = date(2027, 7, 1),
    repayment_id: UUID = REPAYMENT,
) -> RepayShares:
    return RepayShares(
        member_id=MEMBER,
        accounts_approved_on=approved_on,
        repaid_on=repaid_on,
        standing=standing,
        now=NOW,
        repayment_id=repayment_id,
    )


# ---- subscription ------------------------------------------------------------------


def test_a_member_subscribes_shares_at_the_nominal() -> None:
    state = shares.given().when(subscription(10)).then(subscribed(10))
    assert state == Shareholding(MEMBER, 10, NOMINAL, 30_000, 0, frozenset({SUBSCRIPTION}))
    assert state.unpaid_cents == 30_000


def test_a_second_subscription_adds_to_the_holding() -> None:
    second = SECOND_SUBSCRIPTION
    state = (
        shares.given(subscribed(10), paid(5_000))
        .when(subscription(2, subscription_id=second))
        .then(subscribed(2, subscription_id=second))
    )
    assert state == Shareholding(
        MEMBER, 12, NOMINAL, 36_000, 5_000, frozenset({SUBSCRIPTION, PAYMENT, second})
    )


def test_a_subscription_run_again_records_nothing() -> None:
    """Its request run again after the answer was lost (ADR 023), even once the member has left."""
    shares.given(subscribed(10), paid(5_000)).when(subscription(10)).then()
    shares.given(subscribed(10)).when(subscription(10, standing=LEAVER)).then()


def test_the_subscriptions_recorded_before_ids_count_no_movement() -> None:
    state = shares.given(subscribed(10, subscription_id=None)).when(subscription(2)).then(subscribed(2))
    assert isinstance(state, Shareholding)
    assert state.movement_ids == {SUBSCRIPTION}


def test_no_subscription_without_a_member() -> None:
    shares.given().when(subscription(standing=MemberStanding(exists=False))).then_raises(MemberNotFound)


def test_a_leaver_subscribes_no_more_shares() -> None:
    shares.given(subscribed()).when(
        subscription(standing=LEAVER, subscription_id=SECOND_SUBSCRIPTION)
    ).then_raises(MemberHasLeft, match="left on")


def test_a_subscription_is_of_one_share_at_least() -> None:
    shares.given().when(subscription(0)).then_raises(InvalidShareCount)


def test_the_nominal_is_the_tenants_30_euros_at_smartfr_or_configured() -> None:
    assert nominal_cents("smartfr") == 3000
    assert nominal_cents("alterna", {"alterna": 1500}) == 1500
    with pytest.raises(UnknownNominal):
        nominal_cents("alterna")


# ---- payments in instalments --------------------------------------------------------


def test_shares_are_paid_up_in_instalments() -> None:
    first = paid(10_000, payment_id=FIRST_PAYMENT)
    state = shares.given(subscribed(10), first).when(payment(20_000)).then(paid(20_000))
    assert isinstance(state, Shareholding)
    assert (state.paid_cents, state.unpaid_cents) == (30_000, 0)


def test_a_payment_run_again_records_nothing() -> None:
    """Not refused as more than is unpaid: it is the payment recorded, its request run again (ADR 023)."""
    shares.given(subscribed(10), paid(30_000)).when(payment(30_000)).then()


def test_paying_more_than_subscribed_is_refused() -> None:
    shares.given(subscribed(10), paid(10_000, payment_id=FIRST_PAYMENT)).when(payment(20_001)).then_raises(
        PaymentExceedsSubscription, match="20000 cents still unpaid"
    )


def test_a_payment_without_subscribed_shares_is_refused() -> None:
    shares.given().when(payment(3000)).then_raises(NoSharesSubscribed)


def test_a_payment_for_no_member_is_refused() -> None:
    shares.given().when(payment(3000, standing=MemberStanding(exists=False))).then_raises(MemberNotFound)


def test_a_payment_is_a_positive_amount() -> None:
    shares.given(subscribed()).when(payment(0)).then_raises(InvalidAmount)


# ---- repayment ----------------------------------------------------------------------


def test_a_leaver_is_repaid_what_they_paid_at_nominal_and_stays_liable_five_years() -> None:
    state = (
        shares.given(subscribed(10), paid(12_000))
        .when(repayment())
        .then(
            SharesRepaid(
                member_id=MEMBER,
                share_count=10,
                amount_cents=12_000,
                capital_cancelled_cents=30_000,
                left_on=LEFT_ON,
                accounts_approved_on=AGM,
                repaid_on=date(2027, 7, 1),
                liability_ends_on=date(2031, 6, 30),
                recorded_at=NOW,
                repayment_id=REPAYMENT,
            )
        )
    )
    movements = frozenset({SUBSCRIPTION, PAYMENT, REPAYMENT})
    assert state == SharesRepaidToLeaver(MEMBER, 12_000, date(2031, 6, 30), movements)


def test_repaying_a_member_who_has_not_resigned_is_refused() -> None:
    shares.given(subscribed(), paid(30_000)).when(repayment(standing=MEMBER_STANDING)).then_raises(
        MemberHasNotLeft
    )


def test_repaying_before_the_agm_approved_the_accounts_since_leaving_is_refused() -> None:
    shares.given(subscribed()).when(repayment(approved_on=date(2026, 6, 1))).then_raises(
        AccountsNotApprovedSinceLeaving, match="precede the leaving"
    )


def test_repaying_before_the_approval_date_is_refused() -> None:
    shares.given(subscribed()).when(repayment(repaid_on=date(2027, 6, 1))).then_raises(
        AccountsNotApprovedSinceLeaving, match="precedes the approval"
    )


def test_repaying_twice_is_refused() -> None:
    first = shares.given(subscribed()).when(repayment())
    repaid = SHARES.decide(first.command, SHARES.fold([subscribed()]))
    again = repayment(repayment_id=UUID("0192f0a0-0000-7000-8000-00000000c002"))
    shares.given(subscribed(), *repaid).when(again).then_raises(SharesAlreadyRepaid)
    later = subscription(subscription_id=SECOND_SUBSCRIPTION)
    shares.given(subscribed(), *repaid).when(later).then_raises(SharesAlreadyRepaid)


def test_a_repayment_run_again_records_nothing() -> None:
    repaid = SHARES.decide(repayment(), SHARES.fold([subscribed()]))
    shares.given(subscribed(), *repaid).when(repayment()).then()


def test_repaying_a_member_without_shares_or_unknown_is_refused() -> None:
    shares.given().when(repayment()).then_raises(NoSharesSubscribed)
    shares.given().when(repayment(standing=MemberStanding(exists=False))).then_raises(MemberNotFound)


def test_a_leaver_on_29_february_is_liable_until_28_february() -> None:
    leaver = MemberStanding(exists=True, left_on=date(2028, 2, 29))
    command = repayment(standing=leaver, approved_on=date(2029, 6, 1), repaid_on=date(2029, 6, 2))
    decided = SHARES.decide(command, SHARES.fold([subscribed()]))
    assert isinstance(decided[0], SharesRepaid)
    assert decided[0].liability_ends_on == date(2033, 2, 28)


# ---- the capital and its floor (Code de commerce L231-5) ---------------------------


def increased(amount: int, capital_cents: int, highest: int, member: UUID = OTHER) -> CapitalIncreased:
    return CapitalIncreased(
        amount_cents=amount, capital_cents=capital_cents, historic_max_cents=highest, member_id=member
    )


def reduced(amount: int, capital_cents: int, highest: int, member: UUID = OTHER) -> CapitalReduced:
    return CapitalReduced(
        amount_cents=amount, capital_cents=capital_cents, historic_max_cents=highest, member_id=member
    )


def test_a_subscription_raises_the_capital_and_its_historic_maximum() -> None:
    state = (
        capital.given(increased(100_000, 100_000, 100_000))
        .when(IncreaseCapital(MEMBER, 30_000))
        .then(increased(30_000, 130_000, 130_000, MEMBER))
    )
    assert state == Capital(130_000, 130_000)


def test_a_repayment_down_to_a_quarter_of_the_historic_maximum_is_allowed() -> None:
    state = (
        capital.given(increased(100_000, 100_000, 100_000))
        .when(ReduceCapital(MEMBER, 75_000))
        .then(
            CapitalReduced(
                amount_cents=75_000, capital_cents=25_000, historic_max_cents=100_000, member_id=MEMBER
            )
        )
    )
    assert state.floor_cents == 25_000


def test_repaying_below_the_capital_floor_is_refused() -> None:
    history = (
        increased(100_000, 100_000, 100_000),
        CapitalReduced(
            amount_cents=60_000, capital_cents=40_000, historic_max_cents=100_000, member_id=OTHER
        ),
        increased(3_000, 43_000, 100_000),
    )
    capital.given(*history).when(ReduceCapital(MEMBER, 18_001)).then_raises(
        CapitalBelowFloor, match="below 25000 cents"
    )


def test_the_floor_follows_the_historic_maximum_not_the_current_capital() -> None:
    # The capital reached 200 000, fell to 60 000: its floor stays 50 000.
    history = (
        increased(200_000, 200_000, 200_000),
        CapitalReduced(
            amount_cents=140_000, capital_cents=60_000, historic_max_cents=200_000, member_id=OTHER
        ),
    )
    capital.given(*history).when(ReduceCapital(MEMBER, 10_001)).then_raises(CapitalBelowFloor)
    capital.given(*history).when(ReduceCapital(MEMBER, 10_000)).then(
        CapitalReduced(
            amount_cents=10_000, capital_cents=50_000, historic_max_cents=200_000, member_id=MEMBER
        )
    )


def test_the_state_is_the_last_capital_event_alone() -> None:
    history = [increased(100_000, 100_000, 100_000), increased(5_000, 105_000, 105_000)]
    assert CAPITAL.fold(history) == CAPITAL.fold(history[-1:]) == Capital(105_000, 105_000)
