"""Salary payments: scheduled by the 7-day promise, paid or rejected by the bank (given / when / then), and a
daily payment run through the SEPA file and the fake bank."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from payroll_svc.domain.payments import (
    EVENT_TYPES,
    BankReceipt,
    BankUnavailable,
    NothingToPay,
    OverpaymentRecorded,
    RecordBankAnswer,
    RecordOverpayment,
    SalaryAlreadyPaid,
    SalaryAlreadyScheduled,
    SalaryPaid,
    SalaryPayment,
    SalaryPaymentEvent,
    SalaryPaymentRejected,
    SalaryScheduled,
    ScheduleSalary,
    UnknownSalaryPayment,
    answers,
    due_for_run,
    end_to_end_id,
    journal,
    salary_payment_decider,
)
from payroll_svc.integration.fake_bank import FakeBank, LostAfterAcceptance
from payroll_svc.integration.sepa_credit_transfer import PayingAccount, SalaryTransfer, salary_transfer_file
from services.decider import EventCodec
from services.testkit.spec import Spec

spec = Spec(salary_payment_decider, codec=EventCodec[SalaryPaymentEvent](EVENT_TYPES))
PAYSLIP = UUID("0192a5e0-0000-7000-8000-00000000000a")
MEMBER = UUID("0192a5e0-0000-7000-8000-0000000000b1")
NOW = datetime(2026, 3, 30, 18, 0, tzinfo=UTC)
SCHEDULED = SalaryScheduled(
    payslip_id=PAYSLIP,
    member_id=MEMBER,
    net_cents=53415,
    last_day_worked=date(2026, 3, 30),
    due_on=date(2026, 4, 3),  # 6 April is Easter Monday: the Friday before
    scheduled_at=NOW,
)


def answer(paid_on: date, rejection: str | None = None) -> RecordBankAnswer:
    return RecordBankAnswer(PAYSLIP, "run-20260403", paid_on, rejection, NOW)


def test_a_completed_contract_schedules_its_net_salary_on_the_promised_day() -> None:
    spec.given().when(ScheduleSalary(PAYSLIP, MEMBER, 53415, date(2026, 3, 30), NOW)).then(SCHEDULED)


def test_a_salary_is_scheduled_once() -> None:
    command = ScheduleSalary(PAYSLIP, MEMBER, 53415, date(2026, 3, 30), NOW)
    spec.given(SCHEDULED).when(command).then_raises(SalaryAlreadyScheduled)


def test_a_payslip_without_net_has_nothing_to_pay() -> None:
    command = ScheduleSalary(PAYSLIP, MEMBER, 0, date(2026, 3, 30), NOW)
    spec.given().when(command).then_raises(NothingToPay)


def test_paid_on_the_due_day_is_on_time_and_after_it_is_late() -> None:
    spec.given(SCHEDULED).when(answer(date(2026, 4, 3))).then(
        SalaryPaid(
            payslip_id=PAYSLIP, run_id="run-20260403", paid_on=date(2026, 4, 3), on_time=True, recorded_at=NOW
        )
    )
    spec.given(SCHEDULED).when(answer(date(2026, 4, 7))).then(
        SalaryPaid(
            payslip_id=PAYSLIP,
            run_id="run-20260403",
            paid_on=date(2026, 4, 7),
            on_time=False,
            recorded_at=NOW,
        )
    )


def test_a_rejected_salary_stays_due_and_a_paid_one_is_never_paid_twice() -> None:
    rejected = SalaryPaymentRejected(
        payslip_id=PAYSLIP, run_id="run-20260403", reason="AC04", recorded_at=NOW
    )
    state = spec.given(SCHEDULED).when(answer(date(2026, 4, 3), "AC04")).then(rejected)
    assert isinstance(state, SalaryPayment)
    assert (state.paid, state.rejections) == (False, 1)

    paid = SalaryPaid(
        payslip_id=PAYSLIP, run_id="run-20260403", paid_on=date(2026, 4, 3), on_time=True, recorded_at=NOW
    )
    spec.given(SCHEDULED, paid).when(answer(date(2026, 4, 4))).then_raises(SalaryAlreadyPaid)
    spec.given().when(answer(date(2026, 4, 3))).then_raises(UnknownSalaryPayment)


# ---- the daily run -------------------------------------------------------------

ACCOUNT = PayingAccount(name="SmartFr SCIC", iban="FR7630006000011234567890189", bic="AGRIFRPP")
CLOSED_ACCOUNT = "DE89370400440532013000"
BANK_DETAILS = {  # member -> (name, IBAN): personal data the run looks up, never in the events
    UUID(int=1): ("Léa Garnier", "FR7630001007941234567890185"),
    UUID(int=2): ("Jo Martin", CLOSED_ACCOUNT),
    UUID(int=3): ("Ana Ruiz", "FR7630001007941234567890185"),
}


def ledger() -> dict[UUID, SalaryPayment]:
    """The payments' states, as their streams would give them."""
    states = [
        SalaryPayment(UUID(int=101), UUID(int=1), 53415, date(2026, 4, 3)),
        SalaryPayment(UUID(int=102), UUID(int=2), 144310, date(2026, 4, 2)),
        SalaryPayment(UUID(int=103), UUID(int=3), 100000, date(2026, 4, 10)),  # not due yet
        SalaryPayment(UUID(int=104), UUID(int=3), 1000, date(2026, 3, 1), paid_on=date(2026, 3, 1)),  # paid
    ]
    return {state.payslip_id: state for state in states}


def run(bank: FakeBank, states: dict[UUID, SalaryPayment], run_on: date) -> list[SalaryPaymentEvent]:
    """A daily run: the file of what is due, the bank, then each answer decided and applied to its payment."""
    due = due_for_run(states.values(), run_on)
    transfers = [
        SalaryTransfer(
            payslip_id=payment.payslip_id,
            employee_name=BANK_DETAILS[payment.member_id][0],
            iban=BANK_DETAILS[payment.member_id][1],
            amount_cents=payment.net_cents,
            execution_date=run_on,
            remittance=f"Salaire - bulletin {payment.payslip_id.hex[:12]}",
        )
        for payment in due
    ]
    created = datetime(run_on.year, run_on.month, run_on.day, 6, tzinfo=UTC)
    receipt = bank.submit(salary_transfer_file(f"run-{run_on:%Y%m%d}", created, ACCOUNT, transfers))
    recorded: list[SalaryPaymentEvent] = []
    for command in answers(f"run-{run_on:%Y%m%d}", run_on, due, receipt, created):
        events = salary_payment_decider.decide(command, states[command.payslip_id])
        state = salary_payment_decider.fold_from(states[command.payslip_id], events)
        assert isinstance(state, SalaryPayment)
        states[command.payslip_id] = state
        recorded.extend(events)
    return recorded


def test_the_run_pays_what_is_due_and_records_the_line_the_bank_rejects() -> None:
    bank, states = FakeBank(rejects={CLOSED_ACCOUNT: "AC04"}), ledger()

    recorded = run(bank, states, date(2026, 4, 3))

    assert [(type(event).__name__, event.payslip_id) for event in recorded] == [
        ("SalaryPaymentRejected", UUID(int=102)),
        ("SalaryPaid", UUID(int=101)),
    ]
    assert len(bank.received) == 1
    assert b"<Cd>SALA</Cd>" in bank.received[0]
    assert end_to_end_id(UUID(int=101)).encode() in bank.received[0]
    # The rejected salary is sent again the next day (bank details fixed), late; the paid one is not.
    bank.rejects = {}
    next_day = run(bank, states, date(2026, 4, 4))
    assert next_day == [
        SalaryPaid(
            payslip_id=UUID(int=102),
            run_id="run-20260404",
            paid_on=date(2026, 4, 4),
            on_time=False,
            recorded_at=datetime(2026, 4, 4, 6, tzinfo=UTC),
        )
    ]


def test_a_bank_that_fails_records_nothing_and_the_salaries_are_still_due_the_next_day() -> None:
    states = ledger()

    with pytest.raises(BankUnavailable):
        run(FakeBank(fails=True), states, date(2026, 4, 3))

    assert states == ledger()
    recorded = run(FakeBank(), states, date(2026, 4, 4))
    assert all(isinstance(event, SalaryPaid) for event in recorded)
    assert {event.payslip_id: getattr(event, "on_time", None) for event in recorded} == {
        UUID(int=101): False,
        UUID(int=102): False,
    }


def test_a_correction_that_lowers_the_net_records_an_overpayment_to_recover_never_paid() -> None:
    corrected_one = UUID("0192a5e0-0000-7000-8000-0000000000c9")
    command = RecordOverpayment(PAYSLIP, corrected_one, MEMBER, 1250, NOW)
    recorded = OverpaymentRecorded(
        payslip_id=PAYSLIP,
        corrects_payslip_id=corrected_one,
        member_id=MEMBER,
        amount_cents=1250,
        recorded_at=NOW,
    )
    spec.given().when(command).then(recorded)
    spec.given(recorded).when(command).then_raises(SalaryAlreadyScheduled)
    spec.given(recorded).when(answer(date(2026, 4, 3))).then_raises(UnknownSalaryPayment)
    spec.given().when(RecordOverpayment(PAYSLIP, corrected_one, MEMBER, 0, NOW)).then_raises(NothingToPay)


# ---- the payment run journal ------------------------------------------------------------------------------

runs = Spec(journal.payment_run_decider, codec=EventCodec[journal.PaymentRunEvent](journal.EVENT_TYPES))
RUN_PAYMENT = journal.RunPayment(
    payslip_id=PAYSLIP, member_id=MEMBER, net_cents=53415, due_on=date(2026, 4, 3)
)
STARTED = journal.PaymentRunStarted(
    run_id="SAL-1", run_on=date(2026, 4, 3), payments=(RUN_PAYMENT,), started_at=NOW
)


def test_a_run_is_journaled_before_sending_then_recorded_or_abandoned_once() -> None:
    runs.given().when(journal.StartRun("SAL-1", date(2026, 4, 3), (RUN_PAYMENT,), NOW)).then(STARTED)
    recorded = journal.PaymentRunRecorded(run_id="SAL-1", recovered=True, recorded_at=NOW)
    runs.given(STARTED).when(journal.RecordRun("SAL-1", True, NOW)).then(recorded)
    runs.given(STARTED).when(journal.AbandonRun("SAL-1", "never received", NOW)).then(
        journal.PaymentRunAbandoned(run_id="SAL-1", reason="never received", abandoned_at=NOW)
    )
    again = journal.RecordRun("SAL-1", True, NOW)
    runs.given(STARTED, recorded).when(again).then_raises(journal.RunNotSending)
    runs.given(STARTED).when(journal.StartRun("SAL-1", date(2026, 4, 3), (), NOW)).then_raises(
        journal.RunNotSending
    )


def test_the_fake_bank_answers_what_became_of_a_message_and_refuses_it_twice() -> None:
    bank = FakeBank(lose_answers=True)
    document = salary_transfer_file(
        "SAL-9",
        NOW,
        PayingAccount(name="SmartFr SCIC", iban="FR7630004000031234567890143"),
        [
            SalaryTransfer(
                payslip_id=PAYSLIP,
                employee_name="Membre",
                iban="FR7630004000031234567890143",
                bic=None,
                amount_cents=100,
                execution_date=date(2026, 4, 3),
                remittance="Salaire",
            )
        ],
    )
    assert bank.status("SAL-9") is None
    with pytest.raises(LostAfterAcceptance):
        bank.submit(document)
    assert bank.status("SAL-9") == BankReceipt()
    with pytest.raises(BankUnavailable, match="already received"):
        bank.submit(document)
