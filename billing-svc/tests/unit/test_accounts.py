"""The activity account, given events / when a command / then events; and its ledger's invariants."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing_svc.accounts_codec import ACCOUNT, ACCOUNT_CODEC
from billing_svc.domain.accounts import (
    BudgetExceeded,
    ClaimExpenses,
    CoverByGuaranteeFund,
    CreditPayment,
    DebitPayslip,
    InvalidAccountField,
    RecordFundRecovery,
    ReleaseReservation,
    ReserveBudget,
    activity_effect,
    decide,
)
from billing_svc.domain.accounts.contribution import ContributionRate
from billing_svc.domain.accounts.events import (
    BudgetReservationRefused,
    BudgetReservationReleased,
    BudgetReserved,
    ExpenseClaimed,
    PaymentCredited,
    PayslipDebited,
    Receipt,
)
from billing_svc.domain.accounts.ledger import Entry, entry, is_balanced
from billing_svc.integration.account_outbound import public_of
from schemas.generated.billing.activity_account_correction_credited_v1 import (
    ActivityAccountCorrectionCreditedV1,
)
from services.testkit.spec import Spec

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
ACTIVITY = UUID("0197a3c9-4d2e-7f10-8a3b-6c5d4e3f2a10")
TEN = ContributionRate("smartfr", date(2022, 12, 15), None, Decimal("0.10"), "AGM 2022-12-15")
spec = Spec(ACCOUNT, codec=ACCOUNT_CODEC)


def payment(amount: int, payment_id: UUID | None = None, invoice_id: UUID | None = None) -> CreditPayment:
    return CreditPayment(
        ACTIVITY, payment_id or uuid4(), invoice_id or uuid4(), amount, date(2026, 11, 26), TEN, NOW
    )


def credited(command: CreditPayment, balance_before: int = 0) -> PaymentCredited:
    [event] = decide(command, ACCOUNT.initial_state)
    assert isinstance(event, PaymentCredited)
    return event.model_copy(update={"balance_after_cents": balance_before + event.balance_after_cents})


def reservation(reservation_id: UUID, amount: int, available_after: int) -> BudgetReserved:
    return BudgetReserved(
        activity_id=ACTIVITY,
        reservation_id=reservation_id,
        amount_cents=amount,
        available_after_cents=available_after,
        reserved_at=NOW,
    )


def test_a_payment_of_1000_euros_excluding_vat_credits_900_after_the_10_percent_contribution() -> None:
    command = payment(100_000)
    state = (
        spec.given()
        .when(command)
        .then(
            PaymentCredited(
                activity_id=ACTIVITY,
                payment_id=command.payment_id,
                invoice_id=command.invoice_id,
                amount_excluding_vat_cents=100_000,
                contribution_rate=Decimal("0.10"),
                contribution_cents=10_000,
                entries=(
                    entry("Client payment (excluding VAT)", "bank", "activity", 100_000),
                    entry("Cooperative contribution", "activity", "contribution_income", 10_000),
                ),
                on=date(2026, 11, 26),
                balance_after_cents=90_000,
                recorded_at=NOW,
            )
        )
    )
    assert state.balance_cents == 90_000


def test_the_same_payment_of_the_same_invoice_is_credited_once() -> None:
    command = payment(100_000)
    spec.given(credited(command)).when(command).then()


def test_a_reservation_within_the_available_budget_is_reserved_and_beyond_it_refused() -> None:
    first, second = uuid4(), uuid4()
    state = (
        spec.given(credited(payment(100_000)))
        .when(ReserveBudget(ACTIVITY, first, 60_000, NOW))
        .then(reservation(first, 60_000, 30_000))
    )
    assert (state.balance_cents, state.available_cents) == (90_000, 30_000)
    reserved = reservation(first, 60_000, 30_000)
    spec.given(credited(payment(100_000)), reserved).when(ReserveBudget(ACTIVITY, second, 30_001, NOW)).then(
        BudgetReservationRefused(
            activity_id=ACTIVITY,
            reservation_id=second,
            amount_cents=30_001,
            available_cents=30_000,
            refused_at=NOW,
        )
    )
    # a resend of an answered request is answered already
    spec.given(credited(payment(100_000)), reserved).when(ReserveBudget(ACTIVITY, first, 60_000, NOW)).then()


def test_a_payslip_debits_the_employer_cost_and_settles_its_contracts_reservation() -> None:
    contract = uuid4()
    payslip = uuid4()
    reserved = reservation(contract, 80_000, 10_000)
    state = (
        spec.given(credited(payment(100_000)), reserved)
        .when(DebitPayslip(ACTIVITY, payslip, contract, "2026-11", 85_000, date(2026, 11, 26), NOW))
        .then(
            PayslipDebited(
                activity_id=ACTIVITY,
                payslip_id=payslip,
                contract_id=contract,
                period="2026-11",
                employer_cost_cents=85_000,
                confirmed_reservation_cents=80_000,
                entries=(entry("Employer cost, payslip 2026-11", "activity", "salaries_payable", 85_000),),
                on=date(2026, 11, 26),
                balance_after_cents=5_000,
                recorded_at=NOW,
            )
        )
    )
    assert (state.balance_cents, state.reservations, state.available_cents) == (5_000, {}, 5_000)


def test_a_months_payslip_settles_its_cost_and_the_contracts_last_payslip_releases_the_rest() -> None:
    """Given 80,000 reserved for a contract of an account credited 90,000, when a month's close pays 30,000 of
    it, then 50,000 stay reserved (another contract cannot take them); when its last payslip costs 35,000,
    then nothing stays reserved and the 15,000 it did not need are available again."""
    contract, month, last = uuid4(), uuid4(), uuid4()
    reserved = reservation(contract, 80_000, 10_000)
    closing = DebitPayslip(
        ACTIVITY, month, contract, "2026-11", 30_000, date(2026, 11, 30), NOW, contract_ended=False
    )
    [month_paid] = decide(closing, ACCOUNT.fold([credited(payment(100_000)), reserved]))
    assert isinstance(month_paid, PayslipDebited)
    assert month_paid.confirmed_reservation_cents == 30_000
    state = spec.given(credited(payment(100_000)), reserved).when(closing).then(month_paid)
    assert (state.balance_cents, state.reservations, state.available_cents) == (
        60_000,
        {contract: 50_000},
        10_000,
    )

    ending = DebitPayslip(
        ACTIVITY, last, contract, "2026-12", 35_000, date(2026, 12, 4), NOW, contract_ended=True
    )
    [last_paid] = decide(ending, state)
    assert isinstance(last_paid, PayslipDebited)
    assert last_paid.confirmed_reservation_cents == 50_000
    after = ACCOUNT.fold_from(state, [last_paid])
    assert (after.balance_cents, after.reservations, after.available_cents) == (25_000, {}, 25_000)


def test_a_released_reservation_gives_its_amount_back_and_a_second_release_changes_nothing() -> None:
    contract = uuid4()
    reserved = reservation(contract, 80_000, 10_000)
    released = BudgetReservationReleased(
        activity_id=ACTIVITY, reservation_id=contract, amount_cents=80_000, released_at=NOW
    )
    state = (
        spec.given(credited(payment(100_000)), reserved)
        .when(ReleaseReservation(ACTIVITY, contract, NOW))
        .then(released)
    )
    assert state.available_cents == 90_000
    spec.given(credited(payment(100_000)), reserved, released).when(
        ReleaseReservation(ACTIVITY, contract, NOW)
    ).then()


def test_a_payslip_correction_moves_only_the_difference_with_the_corrected_payslip() -> None:
    contract, first, second = uuid4(), uuid4(), uuid4()
    issued = decide(
        DebitPayslip(ACTIVITY, first, contract, "2026-11", 85_000, date(2026, 11, 26), NOW),
        ACCOUNT.fold([credited(payment(100_000))]),
    )
    state = ACCOUNT.fold([credited(payment(100_000)), *issued])
    [lower] = decide(
        DebitPayslip(ACTIVITY, second, contract, "2026-11", 80_000, date(2026, 11, 28), NOW, first), state
    )
    assert isinstance(lower, PayslipDebited)
    assert lower.entries == (
        entry("Employer cost, payslip 2026-11 (correction)", "salaries_payable", "activity", 5_000),
    )
    assert (lower.corrects_payslip_id, ACCOUNT.fold_from(state, [lower]).balance_cents) == (first, 10_000)


def test_a_correction_payslip_publishes_the_difference_credited_back_or_debited() -> None:
    """Given a payslip debited 85,000, when its correction costs 80,000 (or 88,000), then the account gets
    5,000 back, published as a correction's credit (or 3,000 more, published as a debit): never a 0 debit."""
    contract, first, lower, higher = uuid4(), uuid4(), uuid4(), uuid4()
    paid = credited(payment(100_000))
    first_payslip = DebitPayslip(ACTIVITY, first, contract, "2026-11", 85_000, date(2026, 11, 26), NOW)
    [issued] = decide(first_payslip, ACCOUNT.fold([paid]))
    assert isinstance(issued, PayslipDebited)
    label = "Employer cost, payslip 2026-11 (correction)"

    def corrected_by(payslip_id: UUID, cost: int, moved: Entry, balance: int) -> PayslipDebited:
        command = DebitPayslip(
            ACTIVITY, payslip_id, contract, "2026-11", cost, date(2026, 11, 28), NOW, first
        )
        changes = {"payslip_id": payslip_id, "corrects_payslip_id": first, "employer_cost_cents": cost}
        expected = issued.model_copy(
            update={**changes, "entries": (moved,), "on": date(2026, 11, 28), "balance_after_cents": balance}
        )
        spec.given(paid, issued).when(command).then(expected)
        return expected

    credit = corrected_by(lower, 80_000, entry(label, "salaries_payable", "activity", 5_000), 10_000)
    assert public_of(credit) == (
        "billing.ActivityAccountCorrectionCredited",
        ActivityAccountCorrectionCreditedV1(
            activity_id=ACTIVITY,
            payslip_id=lower,
            corrects_payslip_id=first,
            contract_id=contract,
            employer_cost_cents=80_000,
            credited_cents=5_000,
            on=date(2026, 11, 28),
            balance_cents=10_000,
            recorded_at=NOW,
        ),
    )
    debit = corrected_by(higher, 88_000, entry(label, "activity", "salaries_payable", 3_000), 2_000)
    published = public_of(debit)
    assert published is not None
    assert (published[0], published[1].model_dump()["debited_cents"]) == (
        "billing.ActivityAccountDebited",
        3_000,
    )


def claim(*receipts: Receipt, claim_id: UUID | None = None) -> ClaimExpenses:
    return ClaimExpenses(
        ACTIVITY, claim_id or uuid4(), "Tournée de novembre", receipts, date(2026, 11, 26), NOW
    )


TRAIN = Receipt(
    description="Train Paris-Lyon", dated=date(2026, 11, 20), amount_cents=12_000, vat_cents=1_091
)


def test_an_expense_claim_debits_the_receipts_excluding_their_deductible_vat() -> None:
    command = claim(TRAIN)
    state = (
        spec.given(credited(payment(100_000)))
        .when(command)
        .then(
            ExpenseClaimed(
                activity_id=ACTIVITY,
                claim_id=command.claim_id,
                description="Tournée de novembre",
                receipts=(TRAIN,),
                amount_cents=12_000,
                vat_cents=1_091,
                entries=(
                    entry("Expenses: Tournée de novembre", "activity", "expenses_payable", 10_909),
                    entry("VAT on the receipts (deductible)", "deductible_vat", "expenses_payable", 1_091),
                ),
                on=date(2026, 11, 26),
                balance_after_cents=79_091,
                recorded_at=NOW,
            )
        )
    )
    assert state.balance_cents == 79_091


def test_an_expense_claim_beyond_the_available_budget_is_refused() -> None:
    spec.given(credited(payment(10_000))).when(claim(TRAIN)).then_raises(BudgetExceeded, match="9000 cents")


@pytest.mark.parametrize(
    ("receipt", "field"),
    [
        (TRAIN.model_copy(update={"amount_cents": 0}), "receipts.0.amount_cents"),
        (TRAIN.model_copy(update={"vat_cents": 12_000}), "receipts.0.vat_cents"),
        (TRAIN.model_copy(update={"description": " "}), "receipts.0.description"),
        (TRAIN.model_copy(update={"dated": date(2026, 11, 27)}), "receipts.0.dated"),
    ],
)
def test_a_receipt_that_does_not_add_up_is_refused_naming_its_field(receipt: Receipt, field: str) -> None:
    with pytest.raises(InvalidAccountField) as refused:
        decide(claim(receipt), ACCOUNT.fold([credited(payment(100_000))]))
    assert refused.value.field == field


def test_the_guarantee_fund_covers_an_unpaid_invoice_and_its_later_payment_is_the_funds() -> None:
    invoice = uuid4()
    covered = decide(
        CoverByGuaranteeFund(ACTIVITY, invoice, 50_000, date(2026, 11, 26), TEN, NOW), ACCOUNT.initial_state
    )
    state = ACCOUNT.fold(covered)
    assert state.balance_cents == 45_000
    assert decide(payment(50_000, invoice_id=invoice), state) == []
    [recovered] = decide(RecordFundRecovery(ACTIVITY, invoice, 50_000, date(2026, 12, 1), NOW, NOW), state)
    assert activity_effect(recovered.entries) == 0  # type: ignore[union-attr]


# ---- the ledger's invariants over any sequence of commands ----

COMMANDS = st.one_of(
    st.builds(
        lambda amount, rate: CreditPayment(
            ACTIVITY,
            uuid4(),
            uuid4(),
            amount,
            date(2026, 11, 26),
            ContributionRate("smartfr", date(2022, 12, 15), None, rate, "test"),
            NOW,
        ),
        st.integers(0, 10_000_000),
        st.sampled_from([Decimal("0.085"), Decimal("0.10"), Decimal("0.065"), Decimal("0.15")]),
    ),
    st.builds(
        lambda cost: DebitPayslip(ACTIVITY, uuid4(), uuid4(), "2026-11", cost, date(2026, 11, 26), NOW),
        st.integers(0, 5_000_000),
    ),
    st.builds(
        lambda amount, vat: claim(
            Receipt(
                description="r", dated=date(2026, 11, 1), amount_cents=amount, vat_cents=min(vat, amount - 1)
            )
        ),
        st.integers(1, 500_000),
        st.integers(0, 100_000),
    ),
    st.builds(lambda amount: ReserveBudget(ACTIVITY, uuid4(), amount, NOW), st.integers(0, 5_000_000)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(COMMANDS, max_size=25))
def test_the_balance_is_the_sum_of_the_entries_and_every_entry_balances(commands: list[object]) -> None:
    events = []
    state = ACCOUNT.initial_state
    for command in commands:
        try:
            decided = decide(command, state)  # type: ignore[arg-type]
        except BudgetExceeded:
            continue
        events += decided
        state = ACCOUNT.fold_from(state, decided)
    entries = [e for event in events for e in getattr(event, "entries", ())]
    assert all(is_balanced(e) for e in entries)
    assert state.balance_cents == sum(e.effect_on("activity") for e in entries)
    # the whole ledger sums to zero: every debit has its credit
    assert sum(leg.amount_cents * (1 if leg.side == "debit" else -1) for e in entries for leg in e.legs) == 0
    assert state.available_cents == state.balance_cents - sum(state.reservations.values())
    assert all(
        ACCOUNT_CODEC.decode_data(ACCOUNT_CODEC.name_of(e), 1, ACCOUNT_CODEC.encode(e).data) == e
        for e in events
    )
