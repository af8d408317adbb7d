"""contracts.ContractCompleted v1 -> the contract's final payslip input and its salary schedule.

Pure translation: the event carries the contract's type, status, pay terms and the totals of the work; the
employer's own terms (headcount band, accident-at-work rate) come from the caller. The payslip id is derived
from the contract and the month, so a redelivered event gives the same payslip. Refused (`NoPayslip`): a CAPE
(no employment), an entrepreneur-salarié (pay not modelled yet), a contract with no work, a contract spanning
months (its earlier months come from WorkReported, not handled yet), and pay terms that disagree with the
tables (an ICCP or précarité rate the rules would not give): better a dead letter than a wrong payslip.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID, uuid5

from payroll_svc.domain.payments import ScheduleSalary
from payroll_svc.domain.payroll import (
    ContractType,
    HeadcountBand,
    PayInput,
    Payslip,
    PortageLevel,
    Status,
    parameters_on,
)
from schemas.generated.contracts.contract_completed_v1 import ContractCompletedV1

PAYSLIP_IDS = UUID("0c6f1f2e-5d1b-5b7e-9d6a-7a1c3e5f9b20")  # namespace of payslip ids (uuid5)
WEEKS_PER_YEAR, MONTHS_PER_YEAR = 52, 12


class NoPayslip(Exception):
    """This completion gives no payslip here; the reason says why."""


@dataclass(frozen=True, slots=True)
class EmployerTerms:
    headcount: HeadcountBand
    accident_at_work_rate: Decimal
    portage_level: PortageLevel | None = None


@dataclass(frozen=True, slots=True)
class FinalPay:
    payslip_id: UUID
    member_id: UUID
    last_day_worked: date
    pay: PayInput


def payslip_id_of(contract_id: UUID, month: date) -> UUID:
    return uuid5(PAYSLIP_IDS, f"{contract_id}:{month:%Y-%m}")


def final_pay(event: ContractCompletedV1, employer: EmployerTerms) -> FinalPay:
    if event.contract_type == "cape":
        raise NoPayslip("a CAPE is a support contract, not employment: no salary")
    if event.contract_type == "cae":
        raise NoPayslip("an entrepreneur-salarié's pay is not modelled yet")
    if event.last_day_worked is None:
        raise NoPayslip("no work was reported under the contract")
    start, end = event.period_start, event.period_end
    if (start.year, start.month) != (end.year, end.month):
        raise NoPayslip("the contract spans months: its earlier months need WorkReported, not handled yet")
    contract_type = ContractType(event.contract_type)
    month = start.replace(day=1)
    parameters = parameters_on(month)
    _check_end_of_contract_rates(event, contract_type, parameters.iccp_rate, parameters.precarite_rate)

    days_in_month = monthrange(month.year, month.month)[1]
    calendar_days = (end - start).days + 1
    whole_month = calendar_days >= days_in_month
    full_time_weekly = parameters.full_time_monthly_hours * MONTHS_PER_YEAR / WEEKS_PER_YEAR
    weekly_hours = Decimal(event.weekly_hours)
    if event.pay_basis == "hourly":
        if event.gross_cents is None:
            raise NoPayslip("an hourly contract completed without its gross")
        gross, hours = event.gross_cents, Decimal(event.hours)
    elif event.pay_basis == "monthly" and event.monthly_gross_cents is not None:
        share = (
            Decimal(1) if whole_month else Decimal(calendar_days) / days_in_month
        )  # calendar-days pro rata
        gross = int((event.monthly_gross_cents * share).quantize(Decimal(1), parameters.rounding))
        hours = (weekly_hours * WEEKS_PER_YEAR / MONTHS_PER_YEAR * share).quantize(Decimal("0.01"))
    else:
        raise NoPayslip(f"pay basis {event.pay_basis!r} gives no gross")
    if hours <= 0:
        raise NoPayslip("no hours paid")
    return FinalPay(
        payslip_id=payslip_id_of(event.contract_id, month),
        member_id=event.member_id,
        last_day_worked=event.last_day_worked,
        pay=PayInput(
            period=month,
            status=Status(event.status),
            contract_type=contract_type,
            headcount=employer.headcount,
            accident_at_work_rate=employer.accident_at_work_rate,
            hours_paid=hours,
            gross_pay_cents=gross,
            calendar_days=None if whole_month else calendar_days,
            working_time_ratio=min(Decimal(1), weekly_hours / full_time_weekly)
            if weekly_hours
            else Decimal(1),
            ends_in_period=True,
            employer_is_association=event.employer_is_association,
            portage_level=employer.portage_level if contract_type is ContractType.PORTAGE else None,
        ),
    )


def _check_end_of_contract_rates(
    event: ContractCompletedV1, contract_type: ContractType, iccp: Decimal, precarite: Decimal
) -> None:
    expected_iccp = iccp if contract_type in (ContractType.CDD, ContractType.CDDU) else Decimal(0)
    expected_precarite = precarite if contract_type is ContractType.CDD else Decimal(0)
    if Decimal(event.paid_leave_pay_rate) != expected_iccp:
        raise NoPayslip(
            f"paid-leave pay rate {event.paid_leave_pay_rate} where the rules give {expected_iccp}"
        )
    if Decimal(event.precarity_bonus_rate) != expected_precarite:
        raise NoPayslip(
            f"précarité rate {event.precarity_bonus_rate} where the rules give {expected_precarite}"
        )


def schedule_salary(final: FinalPay, payslip: Payslip, now: datetime) -> ScheduleSalary:
    """The net salary of the final payslip, scheduled by the 7-day promise from the last day worked."""
    return ScheduleSalary(
        payslip_id=final.payslip_id,
        member_id=final.member_id,
        net_cents=payslip.net_paid_cents,
        last_day_worked=final.last_day_worked,
        now=now,
    )
