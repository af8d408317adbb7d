"""The receivable, given events / when a command / then events: payments (partial, several, over), credit
notes, the dunning steps with interest and indemnity, the guarantee fund's coverage and recovery, provision
and write-off."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from billing_svc.domain.receivables import (
    ApplyCreditNote,
    Collect,
    OpenReceivable,
    ProvisionDoubtful,
    Receivable,
    RecordPayment,
    WriteOff,
)
from billing_svc.domain.receivables.events import (
    CreditNoteApplied,
    DunningNoticeSent,
    GuaranteeFundCovered,
    InterestPeriod,
    PaymentRecorded,
    ProvisionedAsDoubtful,
    ReceivableEvent,
    ReceivableOpened,
    WrittenOff,
)
from billing_svc.domain.receivables.rules import (
    InvalidReceivableField,
    PaymentRefused,
    ReceivableClosed,
    UnknownReceivable,
)
from billing_svc.domain.receivables.terms import CollectionTerms, HalfYearRate, LatePaymentRates, NoRateFor
from billing_svc.receivables import RECEIVABLE, RECEIVABLE_CODEC
from billing_svc.receivables_reference import COLLECTION_TERMS
from services.testkit.spec import Spec

spec = Spec(RECEIVABLE, codec=RECEIVABLE_CODEC)
INVOICE = UUID("0197a3d0-1c2b-7a4e-9f10-3b5c7d9e1a20")
ACTIVITY = UUID("0197a3c2-5b1e-7c3d-9a4f-2e6b8d1c0f57")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
ISSUED = date(2026, 1, 5)
DUE = date(2026, 2, 4)
# A test table, so the figures below do not move when the real one is corrected: 2 % then 3 %, + 10 points.
TERMS = CollectionTerms(
    (7, 30, 60),
    LatePaymentRates(
        (
            HalfYearRate(date(2026, 1, 1), Decimal("2"), True),
            HalfYearRate(date(2026, 7, 1), Decimal("3"), True),
        ),
        Decimal(10),
        365,
    ),
)


def opened(
    *, siren: str | None = "732829320", total: int = 120_000, basis: int = 100_000
) -> ReceivableOpened:
    return ReceivableOpened(
        invoice_id=INVOICE,
        activity_id=ACTIVITY,
        number="F-000001",
        buyer_siren=siren,
        issue_date=ISSUED,
        due_date=DUE,
        total_cents=total,
        excluding_vat_cents=basis,
        recovery_indemnity_cents=4000 if siren else 0,
        opened_at=NOW,
    )


def pay(payment: int, amount: int, on: date = DUE, source: str = "transfer") -> RecordPayment:
    return RecordPayment(INVOICE, UUID(int=payment), amount, on, NOW, source)  # type: ignore[arg-type]


def paid(
    payment: int,
    amount: int,
    allocated: int,
    basis: int,
    *,
    excess: int = 0,
    on: date = DUE,
    to_fund: bool = False,
) -> PaymentRecorded:
    return PaymentRecorded(
        invoice_id=INVOICE,
        payment_id=UUID(int=payment),
        source="transfer",
        amount_cents=amount,
        allocated_cents=allocated,
        allocated_excluding_vat_cents=basis,
        excess_cents=excess,
        to_fund=to_fund,
        received_on=on,
        reference=None,
        recorded_at=NOW,
    )


def collect(on: date) -> Collect:
    return Collect(INVOICE, on, NOW, TERMS)


def notice(
    step: int, on: date, unpaid: int, interest: int, periods: tuple[InterestPeriod, ...]
) -> DunningNoticeSent:
    return DunningNoticeSent(
        invoice_id=INVOICE,
        step=step,
        sent_on=on,
        days_late=(on - DUE).days,
        unpaid_cents=unpaid,
        interest_cents=interest,
        recovery_indemnity_cents=4000,
        interest_periods=periods,
        recorded_at=NOW,
    )


def period(first: date, last: date, unpaid: int, rate: str = "12") -> InterestPeriod:
    return InterestPeriod(first_day=first, last_day=last, unpaid_cents=unpaid, rate_percent=Decimal(rate))


def test_an_issued_invoice_opens_its_receivable_once() -> None:
    spec.given().when(OpenReceivable(opened())).then(opened())
    spec.given(opened()).when(OpenReceivable(opened())).then()


def test_partial_payments_take_their_share_excluding_vat_and_the_settling_one_the_remainder() -> None:
    # 333.33 of 1,200.00 is 277.775 excluding VAT -> 277.78; three such parts and the rest sum to 1,000.00.
    spec.given(opened()).when(pay(1, 33_333)).then(paid(1, 33_333, 33_333, 27_778))
    given = spec.given(opened(), paid(1, 33_333, 33_333, 27_778), paid(2, 33_333, 33_333, 27_778))
    state = given.when(pay(3, 53_334)).then(paid(3, 53_334, 53_334, 44_444))
    assert isinstance(state, Receivable)
    assert state.unpaid_cents == 0
    assert state.paid_excluding_vat_cents == 100_000


def test_an_overpayment_settles_the_invoice_and_keeps_the_excess_as_the_clients_credit() -> None:
    spec.given(opened(), paid(1, 20_000, 20_000, 16_667)).when(pay(2, 150_000)).then(
        paid(2, 150_000, 100_000, 83_333, excess=50_000)
    )


def test_an_overpayment_by_a_buyer_without_siren_is_refused() -> None:
    spec.given(opened(siren=None)).when(pay(1, 130_000)).then_raises(PaymentRefused, match="SIREN")


def test_applying_more_client_credit_than_is_unpaid_is_refused() -> None:
    spec.given(opened()).when(pay(1, 130_000, source="client_credit")).then_raises(
        PaymentRefused, match="120000 cents are unpaid"
    )


def test_the_same_payment_told_twice_is_recorded_once() -> None:
    spec.given(opened(), paid(1, 10_000, 10_000, 8_333)).when(pay(1, 10_000)).then()


def test_a_payment_before_the_issue_date_names_the_field() -> None:
    error = (
        spec.given(opened())
        .when(pay(1, 10_000, on=ISSUED - timedelta(days=1)))
        .then_raises(InvalidReceivableField)
    )
    assert error.field == "received_on"


def test_a_fully_credited_invoice_takes_no_payment() -> None:
    credited = CreditNoteApplied(
        invoice_id=INVOICE,
        credit_note_id=UUID(int=9),
        total_cents=120_000,
        excluding_vat_cents=100_000,
        applied_on=DUE,
        excess_cents=0,
        recorded_at=NOW,
    )
    spec.given(opened(), credited).when(pay(1, 1_000)).then_raises(PaymentRefused, match="fully credited")


def test_a_credit_note_below_what_was_paid_gives_the_difference_to_the_client() -> None:
    command = ApplyCreditNote(INVOICE, UUID(int=9), 60_000, 50_000, DUE, NOW)
    state = (
        spec.given(opened(), paid(1, 100_000, 100_000, 83_333))
        .when(command)
        .then(
            CreditNoteApplied(
                invoice_id=INVOICE,
                credit_note_id=UUID(int=9),
                total_cents=60_000,
                excluding_vat_cents=50_000,
                applied_on=DUE,
                excess_cents=40_000,
                recorded_at=NOW,
            )
        )
    )
    assert isinstance(state, Receivable)
    assert state.owed_cents == 60_000


def test_a_payment_on_no_receivable_is_unknown() -> None:
    spec.given().when(pay(1, 100)).then_raises(UnknownReceivable)


def test_no_notice_before_due_plus_7() -> None:
    spec.given(opened()).when(collect(DUE + timedelta(days=6))).then()


def test_the_first_notice_at_due_plus_7_with_interest_per_day_and_the_indemnity() -> None:
    on = DUE + timedelta(days=7)
    # 1,200.00 x 12 % x 7 / 365 = 2.7616 -> 2.76 EUR
    expected = notice(1, on, 120_000, 276, (period(DUE + timedelta(days=1), on, 120_000),))
    spec.given(opened()).when(collect(on)).then(expected)
    spec.given(opened(), expected).when(collect(on + timedelta(days=1))).then()  # each step once


def test_interest_follows_the_unpaid_amount_and_the_half_years_rate() -> None:
    due = date(2026, 6, 20)
    later = opened().model_copy(update={"due_date": due})
    on = due + timedelta(days=30)  # 20 July
    part = paid(1, 60_000, 60_000, 50_000, on=date(2026, 6, 25))
    event = RECEIVABLE.decide(Collect(INVOICE, on, NOW, TERMS), RECEIVABLE.fold([later, part]))[0]
    assert isinstance(event, DunningNoticeSent)
    assert event.step == 2
    assert event.interest_periods == (
        period(date(2026, 6, 21), date(2026, 6, 24), 120_000),
        period(date(2026, 6, 25), date(2026, 6, 30), 60_000),
        period(date(2026, 7, 1), date(2026, 7, 20), 60_000, "13"),
    )
    exact = (Decimal(120_000) * 12 * 4 + Decimal(60_000) * 12 * 6 + Decimal(60_000) * 13 * 20) / 100 / 365
    assert event.interest_cents == round(exact)  # 157.81 + 118.36 + 427.40 cents... = 7.04 EUR
    assert event.interest_cents == 704


def test_a_missed_run_sends_the_latest_step_only_and_a_consumer_owes_no_indemnity() -> None:
    on = DUE + timedelta(days=31)
    event = RECEIVABLE.decide(collect(on), RECEIVABLE.fold([opened(siren=None)]))[0]
    assert isinstance(event, DunningNoticeSent)
    assert (event.step, event.recovery_indemnity_cents) == (2, 0)


def test_the_fund_covers_what_is_unpaid_after_the_last_notice_then_payments_go_back_to_it() -> None:
    part = paid(1, 30_000, 30_000, 25_000)
    last = notice(3, DUE + timedelta(days=60), 90_000, 0, ())
    history: list[ReceivableEvent] = [opened(), part, notice(1, DUE + timedelta(days=7), 90_000, 0, ()), last]
    spec.given(*history).when(collect(DUE + timedelta(days=60))).then()  # not the day of the last notice
    covered = GuaranteeFundCovered(
        invoice_id=INVOICE,
        covered_on=DUE + timedelta(days=61),
        unpaid_cents=90_000,
        amount_excluding_vat_cents=75_000,
        recorded_at=NOW,
    )
    spec.given(*history).when(collect(DUE + timedelta(days=61))).then(covered)
    spec.given(*history, covered).when(collect(DUE + timedelta(days=62))).then()  # covered once
    late = DUE + timedelta(days=90)
    spec.given(*history, covered).when(pay(2, 40_000, on=late)).then(
        paid(2, 40_000, 40_000, 33_333, on=late, to_fund=True)
    )
    recovered = paid(2, 40_000, 40_000, 33_333, on=late, to_fund=True)
    state = (
        spec.given(*history, covered, recovered)
        .when(pay(3, 50_000, on=late))
        .then(paid(3, 50_000, 50_000, 41_667, on=late, to_fund=True))
    )
    assert isinstance(state, Receivable)
    assert state.unpaid_cents == 0  # and the fund got 333.33 + 416.67 = 750.00 back, what it covered


def test_a_paid_invoice_is_not_dunned() -> None:
    spec.given(opened(), paid(1, 120_000, 120_000, 100_000)).when(collect(DUE + timedelta(days=30))).then()


def test_provisioning_and_writing_off_need_a_reason_and_happen_once() -> None:
    on = DUE + timedelta(days=90)
    provisioned = ProvisionedAsDoubtful(
        invoice_id=INVOICE,
        reason="client in receivership",
        provisioned_on=on,
        amount_excluding_vat_cents=100_000,
        recorded_at=NOW,
    )
    spec.given(opened()).when(ProvisionDoubtful(INVOICE, " client in receivership ", on, NOW)).then(
        provisioned
    )
    spec.given(opened(), provisioned).when(ProvisionDoubtful(INVOICE, "again", on, NOW)).then_raises(
        ReceivableClosed
    )
    error = spec.given(opened()).when(WriteOff(INVOICE, "  ", on, NOW)).then_raises(InvalidReceivableField)
    assert error.field == "reason"
    written_off = WrittenOff(
        invoice_id=INVOICE,
        reason="liquidation closed",
        written_off_on=on,
        unpaid_cents=120_000,
        amount_excluding_vat_cents=100_000,
        recorded_at=NOW,
    )
    spec.given(opened(), provisioned).when(WriteOff(INVOICE, "liquidation closed", on, NOW)).then(written_off)
    spec.given(opened(), written_off).when(collect(on + timedelta(days=1))).then()  # no more notices
    spec.given(opened(), written_off).when(WriteOff(INVOICE, "again", on, NOW)).then_raises(ReceivableClosed)


def test_a_day_outside_the_rate_table_is_refused_loudly() -> None:
    with pytest.raises(NoRateFor):
        TERMS.late_payment.percent_on(date(2030, 1, 1))


def test_the_rate_table_covers_2022_to_2026_with_the_ecb_rates() -> None:
    rates = COLLECTION_TERMS.late_payment
    assert rates.percent_on(date(2022, 12, 31)) == Decimal("10.00")
    assert rates.percent_on(date(2023, 3, 1)) == Decimal("12.50")
    assert rates.percent_on(date(2024, 8, 1)) == Decimal("14.25")
    assert rates.percent_on(date(2025, 7, 1)) == Decimal("12.15")
    assert COLLECTION_TERMS.notice_offsets == (7, 30, 60)
