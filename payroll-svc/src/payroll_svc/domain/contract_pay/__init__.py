"""The contract pay record (stream `contract-pay-<contract id>`): one payslip per contract and month.

Work reported under a contract is recorded here until a payslip pays it. Closing a month closes a pay
period for each month whose work is unpaid (work reported late, for a month already paid, goes on the
payslip being closed: a back pay); the completion closes the rest, its last period `final` (the
end-of-contract indemnities on the whole contract's pay). The completion's totals are the truth for an
hourly pay: the last period pays what they hold beyond the earlier periods. A payslip's correction is
recorded too: its pay difference counts in the last period's indemnities (ADR 025).
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID, uuid5

from payroll_svc.domain.contract_pay.events import (
    EVENT_TYPES,
    ContractPayEvent,
    PayCorrected,
    PayPeriodClosed,
    PayTerms,
    WorkRecorded,
)
from payroll_svc.domain.payroll import parameters_on
from services.decider import Decider

__all__ = [
    "EVENT_TYPES",
    "CloseMonth",
    "CompleteContract",
    "ContractPay",
    "ContractPayEvent",
    "PayCorrected",
    "PayMismatch",
    "PayPeriodClosed",
    "PayTerms",
    "RecordCorrection",
    "RecordWork",
    "WorkAfterCompletion",
    "WorkRecorded",
    "contract_pay_decider",
    "earliest_unpaid",
    "month_of",
    "payslip_id_of",
    "stream_id",
]

PAYSLIP_IDS = UUID("0c6f1f2e-5d1b-5b7e-9d6a-7a1c3e5f9b20")  # namespace of payslip ids (uuid5)
WEEKS_PER_YEAR, MONTHS_PER_YEAR = 52, 12
INDEMNITIES_DUE = ("cdd", "cddu")  # précarité (CDD) and ICCP (CDD, CDDU) at the end of the contract


def stream_id(contract_id: UUID) -> str:
    return f"contract-pay-{contract_id}"


def month_of(day: date) -> date:
    return day.replace(day=1)


def payslip_id_of(contract_id: UUID, month: date, rank: int = 1) -> UUID:
    """The contract's `rank`-th payslip of the month (a redelivered event gives the same id)."""
    suffix = "" if rank == 1 else f":{rank}"
    return uuid5(PAYSLIP_IDS, f"{contract_id}:{month:%Y-%m}{suffix}")


# ---- commands ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordWork:
    contract_id: UUID
    member_id: UUID
    employer_id: UUID
    report_id: UUID
    terms: PayTerms
    minutes: int
    gross_cents: int | None
    period_start: date
    period_end: date
    now: datetime


@dataclass(frozen=True, slots=True)
class CloseMonth:
    """Pay the work of `month` and of the months before it that is not paid yet."""

    month: date
    now: datetime


@dataclass(frozen=True, slots=True)
class CompleteContract:
    """The contract ended: `minutes` and `gross_cents` are the totals of all its work."""

    contract_id: UUID
    member_id: UUID
    employer_id: UUID
    terms: PayTerms
    minutes: int
    gross_cents: int | None
    period_start: date
    period_end: date
    last_day_worked: date
    now: datetime


@dataclass(frozen=True, slots=True)
class RecordCorrection:
    """A payslip of the contract is corrected by `correction_id`: its pay for the work changes by
    `pay_difference_cents`."""

    contract_id: UUID
    payslip_id: UUID
    correction_id: UUID
    pay_difference_cents: int
    now: datetime


ContractPayCommand = RecordWork | CloseMonth | CompleteContract | RecordCorrection


class WorkAfterCompletion(Exception):
    """Work reported for a contract whose last payslip is issued."""


class PayMismatch(Exception):
    """The completion's totals are below the work already paid: better a dead letter than a wrong payslip."""


# ---- state -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContractPay:
    contract_id: UUID | None = None
    unpaid: tuple[WorkRecorded, ...] = ()
    report_ids: frozenset[UUID] = frozenset()
    payslip_months: tuple[date, ...] = ()  # one entry per payslip of the contract
    paid_minutes: int = 0
    paid_pay_cents: int = 0  # the pay of the work its payslips paid, as first issued
    corrected_pay_cents: int = 0  # what corrections of its payslips changed of that pay
    first_day: date | None = None  # the first day of work known
    completed: bool = False  # the last payslip, with the end-of-contract indemnities, is issued


# ---- decide ------------------------------------------------------------------


def decide(command: ContractPayCommand, state: ContractPay) -> list[ContractPayEvent]:
    match command:
        case RecordWork():
            if command.report_id in state.report_ids:
                return []
            if state.completed:
                raise WorkAfterCompletion(f"contract {command.contract_id} is completed and paid")
            return [
                WorkRecorded(
                    contract_id=command.contract_id,
                    member_id=command.member_id,
                    employer_id=command.employer_id,
                    report_id=command.report_id,
                    terms=command.terms,
                    month=month_of(command.period_end),
                    minutes=command.minutes,
                    gross_cents=command.gross_cents,
                    period_start=command.period_start,
                    period_end=command.period_end,
                    recorded_at=command.now,
                )
            ]
        case CloseMonth():
            if state.completed or not state.unpaid:
                return []
            return _periods(state, month_of(command.month), command.now, None)
        case CompleteContract():
            if state.completed:
                return []
            return _periods(state, month_of(command.period_end), command.now, command)
        case RecordCorrection():
            if state.contract_id is None or command.pay_difference_cents == 0:
                return []  # no pay record (nothing to tell), or no pay changed
            return [
                PayCorrected(
                    contract_id=command.contract_id,
                    payslip_id=command.payslip_id,
                    correction_id=command.correction_id,
                    pay_difference_cents=command.pay_difference_cents,
                    corrected_at=command.now,
                )
            ]


def _periods(
    state: ContractPay, closing: date, now: datetime, completion: CompleteContract | None
) -> list[ContractPayEvent]:
    """The pay periods closed up to `closing`, oldest first; with a completion, the last one is final."""
    by_month: dict[date, list[WorkRecorded]] = {}
    for work in state.unpaid:
        if work.month > closing and completion is None:
            continue  # a later month's work waits for its own close
        target = work.month if work.month <= closing and work.month not in state.payslip_months else closing
        by_month.setdefault(target, []).append(work)
    if completion is not None:
        by_month.setdefault(closing, [])
        if completion.terms.pay_basis == "monthly":  # every month of the contract is paid, work or not
            month = month_of(completion.period_start)
            while month < closing:
                if month not in state.payslip_months:
                    by_month.setdefault(month, [])
                month = _next_month(month)

    events: list[ContractPayEvent] = []
    months = list(state.payslip_months)
    earlier = state.paid_pay_cents  # what the completion's totals are compared with: the work paid
    paid_minutes = state.paid_minutes
    contract_start = completion.period_start if completion else state.first_day
    for month in sorted(by_month):
        works = by_month[month]
        final = completion is not None and month == closing
        first_day = max(month, contract_start or month)
        last_day = completion.period_end if final and completion else _month_end(month)
        terms = completion.terms if completion else works[-1].terms
        if final and completion is not None and terms.pay_basis != "monthly":
            minutes = completion.minutes - paid_minutes
            pay = (completion.gross_cents or 0) - earlier
            if minutes < 0 or pay < 0:
                raise PayMismatch(
                    f"contract {completion.contract_id}: the completion's totals ({completion.minutes} min, "
                    f"{completion.gross_cents} cents) are below the work already paid"
                )
        else:
            minutes = sum(work.minutes for work in works)
            pay = sum(work.gross_cents or 0 for work in works)
        if terms.pay_basis == "monthly":
            pay, hours = _monthly_pay(terms, month, first_day, last_day)
        else:
            hours = (Decimal(minutes) / 60).quantize(Decimal("0.01"), ROUND_HALF_UP)
        # The indemnities are on the contract's whole pay as corrected: a correction made before counts.
        indemnified = earlier + state.corrected_pay_cents
        indemnities = final and indemnified > 0 and terms.contract_type in INDEMNITIES_DUE
        if pay <= 0 and not indemnities:
            continue
        if completion is not None and (final or not works):
            last_worked = min(last_day, completion.last_day_worked)  # a monthly pay's month without work
        else:
            last_worked = max(work.period_end for work in works)
        parties = completion or works[0]
        events.append(
            PayPeriodClosed(
                contract_id=parties.contract_id,
                member_id=parties.member_id,
                employer_id=parties.employer_id,
                payslip_id=payslip_id_of(parties.contract_id, month, months.count(month) + 1),
                period=month,
                terms=terms,
                report_ids=tuple(work.report_id for work in works),
                minutes=minutes,
                hours_paid=hours,
                pay_cents=pay,
                first_day=first_day,
                last_day=last_day,
                last_day_worked=last_worked,
                final=final,
                earlier_pay_cents=indemnified if final else 0,
                closed_at=now,
            )
        )
        months.append(month)
        earlier += pay
        paid_minutes += minutes
    return events


def _monthly_pay(terms: PayTerms, month: date, first_day: date, last_day: date) -> tuple[int, Decimal]:
    """A monthly pay for the calendar days of the month it covers, and the hours it stands for."""
    monthly = terms.monthly_gross_cents or 0
    days_in_month = monthrange(month.year, month.month)[1]
    days = (last_day - first_day).days + 1
    share = Decimal(1) if days >= days_in_month else Decimal(days) / days_in_month
    rounding = parameters_on(month).rounding
    pay = int((monthly * share).quantize(Decimal(1), rounding))
    hours = (terms.weekly_hours * WEEKS_PER_YEAR / MONTHS_PER_YEAR * share).quantize(Decimal("0.01"))
    return pay, hours


def _month_end(month: date) -> date:
    return _next_month(month) - timedelta(days=1)


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


# ---- evolve ------------------------------------------------------------------


def evolve(state: ContractPay, event: ContractPayEvent) -> ContractPay:
    match event:
        case WorkRecorded():
            first = min(state.first_day or event.period_start, event.period_start)
            return replace(
                state,
                contract_id=event.contract_id,
                unpaid=(*state.unpaid, event),
                report_ids=state.report_ids | {event.report_id},
                first_day=first,
            )
        case PayPeriodClosed():
            paid = set(event.report_ids)
            return replace(
                state,
                contract_id=event.contract_id,
                unpaid=tuple(work for work in state.unpaid if work.report_id not in paid),
                payslip_months=(*state.payslip_months, event.period),
                paid_minutes=state.paid_minutes + event.minutes,
                paid_pay_cents=state.paid_pay_cents + event.pay_cents,
                completed=state.completed or event.final,
            )
        case PayCorrected():
            return replace(state, corrected_pay_cents=state.corrected_pay_cents + event.pay_difference_cents)


def earliest_unpaid(state: ContractPay) -> date | None:
    """The month of the oldest unpaid work (what a month's close looks for), None when all is paid."""
    return min((work.month for work in state.unpaid), default=None) if not state.completed else None


contract_pay_decider: Decider[ContractPayCommand, ContractPayEvent, ContractPay] = Decider(
    decide=decide, evolve=evolve, initial_state=ContractPay()
)
