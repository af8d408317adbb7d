"""An amendment's or renewal's top-up (ADR 026): given the draft's reservation, when ReserveBudget names the
contract it is held for, then the top-up joins the contract's reservation, so its payslip settles and its
cancellation releases all of it; refused beyond the available budget, answered once, and named by its
contract on the public answer."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4, uuid5

from billing_svc.accounts_codec import ACCOUNT, ACCOUNT_CODEC
from billing_svc.domain.accounts import (
    CreditPayment,
    DebitPayslip,
    ReleaseReservation,
    ReserveBudget,
    decide,
)
from billing_svc.domain.accounts.contribution import ContributionRate
from billing_svc.domain.accounts.events import (
    BudgetReservationRefused,
    BudgetReservationReleased,
    BudgetReserved,
    PaymentCredited,
    PayslipDebited,
)
from billing_svc.domain.accounts.ledger import entry
from billing_svc.integration.account_outbound import public_of
from schemas.registry import model_for
from services.testkit.spec import Spec

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
ACTIVITY = UUID("0197a3c9-4d2e-7f10-8a3b-6c5d4e3f2a10")
CONTRACT = UUID("0197a3d0-1c2b-7a4e-9f10-3b5c7d9e1a20")
TOP_UP = uuid5(CONTRACT, "amendment")  # contracts-svc derives it from the amendment; any other id will do
TEN = ContributionRate("smartfr", date(2022, 12, 15), None, Decimal("0.10"), "AGM 2022-12-15")
spec = Spec(ACCOUNT, codec=ACCOUNT_CODEC)


def credited_90_000() -> PaymentCredited:
    """A client's payment of 1,000 € excluding VAT: 900 € after the 10 % contribution."""
    [event] = decide(
        CreditPayment(ACTIVITY, uuid4(), uuid4(), 100_000, date(2026, 11, 26), TEN, NOW),
        ACCOUNT.initial_state,
    )
    assert isinstance(event, PaymentCredited)
    return event


def drafts_reservation(amount: int = 60_000) -> BudgetReserved:
    """As recorded before ADR 026: the reservation id is the contract's, no contract named."""
    return BudgetReserved(
        activity_id=ACTIVITY,
        reservation_id=CONTRACT,
        amount_cents=amount,
        available_after_cents=90_000 - amount,
        reserved_at=NOW,
    )


def top_up(amount: int, available_after: int) -> BudgetReserved:
    return BudgetReserved(
        activity_id=ACTIVITY,
        reservation_id=TOP_UP,
        amount_cents=amount,
        available_after_cents=available_after,
        reserved_at=NOW,
        contract_id=CONTRACT,
    )


REFUSED = BudgetReservationRefused(
    activity_id=ACTIVITY,
    reservation_id=TOP_UP,
    amount_cents=30_001,
    available_cents=30_000,
    refused_at=NOW,
    contract_id=CONTRACT,
)


def test_a_top_up_within_the_available_budget_joins_the_contracts_reservation() -> None:
    state = (
        spec.given(credited_90_000(), drafts_reservation())
        .when(ReserveBudget(ACTIVITY, TOP_UP, 30_000, NOW, contract_id=CONTRACT))
        .then(top_up(30_000, 0))
    )
    assert (state.reservations, state.available_cents) == ({CONTRACT: 90_000}, 0)


def test_a_top_up_beyond_the_available_budget_is_refused_and_the_reservation_stays_as_it_was() -> None:
    state = (
        spec.given(credited_90_000(), drafts_reservation())
        .when(ReserveBudget(ACTIVITY, TOP_UP, 30_001, NOW, contract_id=CONTRACT))
        .then(REFUSED)
    )
    assert (state.reservations, state.available_cents) == ({CONTRACT: 60_000}, 30_000)


def test_a_top_up_sent_again_is_answered_once() -> None:
    spec.given(credited_90_000(), drafts_reservation(), top_up(30_000, 0)).when(
        ReserveBudget(ACTIVITY, TOP_UP, 30_000, NOW, contract_id=CONTRACT)
    ).then()


def test_the_contracts_payslip_settles_its_draft_and_its_top_up_together() -> None:
    payslip = uuid4()
    state = (
        spec.given(credited_90_000(), drafts_reservation(), top_up(20_000, 10_000))
        .when(DebitPayslip(ACTIVITY, payslip, CONTRACT, "2026-12", 75_000, date(2026, 12, 31), NOW))
        .then(
            PayslipDebited(
                activity_id=ACTIVITY,
                payslip_id=payslip,
                contract_id=CONTRACT,
                period="2026-12",
                employer_cost_cents=75_000,
                confirmed_reservation_cents=80_000,
                entries=(entry("Employer cost, payslip 2026-12", "activity", "salaries_payable", 75_000),),
                on=date(2026, 12, 31),
                balance_after_cents=15_000,
                recorded_at=NOW,
            )
        )
    )
    assert (state.reservations, state.available_cents) == ({}, 15_000)


def test_the_contracts_cancellation_releases_its_draft_and_its_top_up_together() -> None:
    state = (
        spec.given(credited_90_000(), drafts_reservation(), top_up(20_000, 10_000))
        .when(ReleaseReservation(ACTIVITY, CONTRACT, NOW))
        .then(
            BudgetReservationReleased(
                activity_id=ACTIVITY, reservation_id=CONTRACT, amount_cents=80_000, released_at=NOW
            )
        )
    )
    assert (state.reservations, state.available_cents) == ({}, 90_000)


def test_the_answers_to_a_top_up_name_its_contract_and_old_answers_their_reservation() -> None:
    answers = [public_of(top_up(20_000, 10_000)), public_of(REFUSED), public_of(drafts_reservation())]
    named = []
    for answer in answers:
        assert answer is not None
        name, model = answer
        data = model.model_dump(mode="json")
        model_for(name, 1).model_validate(data)
        named.append((name, data["reservation_id"], data["contract_id"]))
    assert named == [
        ("billing.BudgetReserved", str(TOP_UP), str(CONTRACT)),
        ("billing.BudgetReservationRefused", str(TOP_UP), str(CONTRACT)),
        ("billing.BudgetReserved", str(CONTRACT), str(CONTRACT)),
    ]
