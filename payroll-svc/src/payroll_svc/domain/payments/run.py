"""A daily payment run, the pure part: which salaries are due, and what the bank's receipt means for each.

The run pays on its own date every scheduled salary whose due date has come and that is not paid yet (a
rejected one included: it is sent again); a salary paid after its due date is late, which SalaryPaid says.
A run the bank refuses as a whole records nothing: its salaries are still due the next day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from payroll_svc.domain.payments.salary_payment import RecordBankAnswer, SalaryPayment


@dataclass(frozen=True, slots=True)
class BankReceipt:
    """The bank's answer to a file: the end-to-end ids it rejected, with why; the others are accepted."""

    rejected: Mapping[str, str] = field(default_factory=dict)


class BankUnavailable(Exception):
    """The bank refused or never answered the whole file: nothing is paid, the run is tried again."""


class Bank(Protocol):
    """The port to the bank (a fake adapter here: payroll_svc.integration.fake_bank)."""

    def submit(self, payment_file: bytes) -> BankReceipt: ...

    def status(self, message_id: str) -> BankReceipt | None:
        """What the bank answered to the file with this message id; None when it never got it."""
        ...


def due_for_run(payments: Iterable[SalaryPayment], run_on: date) -> list[SalaryPayment]:
    """The unpaid salaries whose due date has come, the most overdue first."""
    due = [payment for payment in payments if not payment.paid and payment.due_on <= run_on]
    return sorted(due, key=lambda payment: (payment.due_on, str(payment.payslip_id)))


def end_to_end_id(payslip_id: UUID) -> str:
    """The transfer's end-to-end id: the payslip id without hyphens (Max35Text)."""
    return payslip_id.hex


def answers(
    run_id: str, run_on: date, paid: Iterable[SalaryPayment], receipt: BankReceipt, now: datetime
) -> list[RecordBankAnswer]:
    """One RecordBankAnswer per salary in the file."""
    return [
        RecordBankAnswer(
            payslip_id=payment.payslip_id,
            run_id=run_id,
            paid_on=run_on,
            rejection=receipt.rejected.get(end_to_end_id(payment.payslip_id)),
            now=now,
        )
        for payment in paid
    ]
