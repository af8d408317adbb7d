"""The salary payment aggregate (stream `salary-payment-<payslip id>`): scheduled by the 7-day promise,
then paid or rejected by the bank. A rejected payment is sent again by a later run (once the bank details
are fixed).

The employee's bank details are not in these events (personal data): a payment run looks them up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from payroll_svc.domain.payments.promise import salary_due_on
from services.decider import Decider

# ---- events ------------------------------------------------------------------


class SalaryScheduled(BaseModel):
    model_config = ConfigDict(frozen=True)

    payslip_id: UUID
    member_id: UUID
    net_cents: int
    last_day_worked: date
    due_on: date
    scheduled_at: datetime


class SalaryPaid(BaseModel):
    model_config = ConfigDict(frozen=True)

    payslip_id: UUID
    run_id: str
    paid_on: date
    on_time: bool
    recorded_at: datetime


class SalaryPaymentRejected(BaseModel):
    model_config = ConfigDict(frozen=True)

    payslip_id: UUID
    run_id: str
    reason: str
    recorded_at: datetime


class OverpaymentRecorded(BaseModel):
    """A correction lowered the net salary: what was paid (or is due) beyond it is to recover."""

    model_config = ConfigDict(frozen=True)

    payslip_id: UUID  # the correction
    corrects_payslip_id: UUID
    member_id: UUID
    amount_cents: int
    recorded_at: datetime


SalaryPaymentEvent = SalaryScheduled | SalaryPaid | SalaryPaymentRejected | OverpaymentRecorded
EVENT_TYPES: dict[str, type[SalaryPaymentEvent]] = {
    "SalaryScheduled": SalaryScheduled,
    "SalaryPaid": SalaryPaid,
    "SalaryPaymentRejected": SalaryPaymentRejected,
    "OverpaymentRecorded": OverpaymentRecorded,
}

# ---- states ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoSalaryPayment:
    pass


@dataclass(frozen=True, slots=True)
class SalaryPayment:
    payslip_id: UUID
    member_id: UUID
    net_cents: int
    due_on: date
    paid_on: date | None = None
    rejections: int = 0

    @property
    def paid(self) -> bool:
        return self.paid_on is not None


@dataclass(frozen=True, slots=True)
class Overpayment:
    payslip_id: UUID
    amount_cents: int


SalaryPaymentState = NoSalaryPayment | SalaryPayment | Overpayment

# ---- commands ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScheduleSalary:
    payslip_id: UUID
    member_id: UUID
    net_cents: int
    last_day_worked: date
    now: datetime


@dataclass(frozen=True, slots=True)
class RecordBankAnswer:
    """The bank's answer for this payment in a run: accepted (paid on `paid_on`) or rejected with a reason."""

    payslip_id: UUID
    run_id: str
    paid_on: date
    rejection: str | None
    now: datetime


@dataclass(frozen=True, slots=True)
class RecordOverpayment:
    payslip_id: UUID
    corrects_payslip_id: UUID
    member_id: UUID
    amount_cents: int
    now: datetime


SalaryPaymentCommand = ScheduleSalary | RecordBankAnswer | RecordOverpayment


class SalaryAlreadyScheduled(Exception):
    pass


class UnknownSalaryPayment(Exception):
    pass


class SalaryAlreadyPaid(Exception):
    pass


class NothingToPay(ValueError):
    pass


def decide(command: SalaryPaymentCommand, state: SalaryPaymentState) -> list[SalaryPaymentEvent]:
    match command:
        case ScheduleSalary():
            if not isinstance(state, NoSalaryPayment):
                raise SalaryAlreadyScheduled(
                    f"the salary of payslip {command.payslip_id} is already scheduled"
                )
            if command.net_cents <= 0:
                raise NothingToPay(f"payslip {command.payslip_id} has no net salary to pay")
            return [
                SalaryScheduled(
                    payslip_id=command.payslip_id,
                    member_id=command.member_id,
                    net_cents=command.net_cents,
                    last_day_worked=command.last_day_worked,
                    due_on=salary_due_on(command.last_day_worked),
                    scheduled_at=command.now,
                )
            ]
        case RecordOverpayment():
            if not isinstance(state, NoSalaryPayment):
                raise SalaryAlreadyScheduled(f"payslip {command.payslip_id} already has its payment recorded")
            if command.amount_cents <= 0:
                raise NothingToPay(f"payslip {command.payslip_id} has no overpayment to recover")
            return [
                OverpaymentRecorded(
                    payslip_id=command.payslip_id,
                    corrects_payslip_id=command.corrects_payslip_id,
                    member_id=command.member_id,
                    amount_cents=command.amount_cents,
                    recorded_at=command.now,
                )
            ]
        case RecordBankAnswer():
            if not isinstance(state, SalaryPayment):
                raise UnknownSalaryPayment(f"no salary is scheduled for payslip {command.payslip_id}")
            if state.paid:
                raise SalaryAlreadyPaid(
                    f"the salary of payslip {command.payslip_id} was paid on {state.paid_on}"
                )
            if command.rejection is not None:
                return [
                    SalaryPaymentRejected(
                        payslip_id=command.payslip_id,
                        run_id=command.run_id,
                        reason=command.rejection,
                        recorded_at=command.now,
                    )
                ]
            return [
                SalaryPaid(
                    payslip_id=command.payslip_id,
                    run_id=command.run_id,
                    paid_on=command.paid_on,
                    on_time=command.paid_on <= state.due_on,
                    recorded_at=command.now,
                )
            ]


def evolve(state: SalaryPaymentState, event: SalaryPaymentEvent) -> SalaryPaymentState:
    match event:
        case SalaryScheduled():
            return SalaryPayment(event.payslip_id, event.member_id, event.net_cents, event.due_on)
        case SalaryPaid():
            assert isinstance(state, SalaryPayment)
            return SalaryPayment(
                state.payslip_id, state.member_id, state.net_cents, state.due_on, event.paid_on
            )
        case SalaryPaymentRejected():
            assert isinstance(state, SalaryPayment)
            return SalaryPayment(
                state.payslip_id, state.member_id, state.net_cents, state.due_on, None, state.rejections + 1
            )
        case OverpaymentRecorded():
            return Overpayment(event.payslip_id, event.amount_cents)


salary_payment_decider: Decider[SalaryPaymentCommand, SalaryPaymentEvent, SalaryPaymentState] = Decider(
    decide=decide, evolve=evolve, initial_state=NoSalaryPayment()
)
