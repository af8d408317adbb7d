"""The payment run journal (stream `payment-run-<run id>`): a run is recorded before its file is sent.

A run that stops between the bank's acceptance and the recording of its answers (a crash) is found still
`sending` by the next run, which asks the bank what became of the file's message instead of sending its
salaries again: the bank's answer is recorded (paid once), or, when the bank never got the file, the run is
abandoned and its salaries are due again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from payroll_svc.domain.payments.salary_payment import SalaryPayment
from services.decider import Decider


def stream_id(run_id: str) -> str:
    return f"payment-run-{run_id}"


class RunPayment(BaseModel):
    model_config = ConfigDict(frozen=True)

    payslip_id: UUID
    member_id: UUID
    net_cents: int
    due_on: date

    def payment(self) -> SalaryPayment:
        return SalaryPayment(self.payslip_id, self.member_id, self.net_cents, self.due_on)


class PaymentRunStarted(BaseModel):
    """The file `run_id` (its message id) is about to go to the bank with these salaries."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    run_on: date
    payments: tuple[RunPayment, ...]
    started_at: datetime


class PaymentRunRecorded(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    recovered: bool  # the answers were asked of the bank after an interrupted run
    recorded_at: datetime


class PaymentRunAbandoned(BaseModel):
    """The bank failed the file, or never got it: nothing of the run is paid, its salaries stay due."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    reason: str
    abandoned_at: datetime


PaymentRunEvent = PaymentRunStarted | PaymentRunRecorded | PaymentRunAbandoned
EVENT_TYPES: dict[str, type[PaymentRunEvent]] = {
    "PaymentRunStarted": PaymentRunStarted,
    "PaymentRunRecorded": PaymentRunRecorded,
    "PaymentRunAbandoned": PaymentRunAbandoned,
}


@dataclass(frozen=True, slots=True)
class StartRun:
    run_id: str
    run_on: date
    payments: tuple[RunPayment, ...]
    now: datetime


@dataclass(frozen=True, slots=True)
class RecordRun:
    run_id: str
    recovered: bool
    now: datetime


@dataclass(frozen=True, slots=True)
class AbandonRun:
    run_id: str
    reason: str
    now: datetime


PaymentRunCommand = StartRun | RecordRun | AbandonRun


@dataclass(frozen=True, slots=True)
class NoRun:
    pass


@dataclass(frozen=True, slots=True)
class Sending:
    started: PaymentRunStarted


@dataclass(frozen=True, slots=True)
class Finished:
    started: PaymentRunStarted
    outcome: PaymentRunRecorded | PaymentRunAbandoned


PaymentRunState = NoRun | Sending | Finished


class RunNotSending(Exception):
    """The run is not waiting for the bank's answer (unknown, or already recorded or abandoned)."""


def decide(command: PaymentRunCommand, state: PaymentRunState) -> list[PaymentRunEvent]:
    match command:
        case StartRun():
            if not isinstance(state, NoRun):
                raise RunNotSending(f"payment run {command.run_id} is already started")
            return [
                PaymentRunStarted(
                    run_id=command.run_id,
                    run_on=command.run_on,
                    payments=command.payments,
                    started_at=command.now,
                )
            ]
        case RecordRun():
            if not isinstance(state, Sending):
                raise RunNotSending(f"payment run {command.run_id} is not waiting for the bank")
            return [
                PaymentRunRecorded(
                    run_id=command.run_id, recovered=command.recovered, recorded_at=command.now
                )
            ]
        case AbandonRun():
            if not isinstance(state, Sending):
                raise RunNotSending(f"payment run {command.run_id} is not waiting for the bank")
            return [
                PaymentRunAbandoned(run_id=command.run_id, reason=command.reason, abandoned_at=command.now)
            ]


def evolve(state: PaymentRunState, event: PaymentRunEvent) -> PaymentRunState:
    match event:
        case PaymentRunStarted():
            return Sending(event)
        case PaymentRunRecorded() | PaymentRunAbandoned():
            assert isinstance(state, Sending)
            return Finished(state.started, event)


payment_run_decider: Decider[PaymentRunCommand, PaymentRunEvent, PaymentRunState] = Decider(
    decide=decide, evolve=evolve, initial_state=NoRun()
)
