"""contracts.ContractCompleted v1 -> the contract's last pay periods (CompleteContract).

Pure translation: the event carries the contract's type, status, pay terms and the totals of all its work.
Refused (`NoPayslip`): pay terms that disagree with the tables (an ICCP or précarité rate the rules would not
give), better a dead letter than a wrong payslip. A CAPE, an entrepreneur-salarié and a contract without work
give no payslip (None).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from payroll_svc.domain.contract_pay import CompleteContract, PayPeriodClosed, PayTerms
from payroll_svc.domain.payments import ScheduleSalary
from payroll_svc.domain.payroll import ContractType, Payslip, parameters_on
from schemas.generated.contracts.contract_completed_v1 import ContractCompletedV1
from schemas.generated.contracts.work_reported_v1 import WorkReportedV1

NO_SALARY_HERE = ("cape", "cae")  # no employment (CAPE) / pay not modelled yet (entrepreneur-salarié)


class NoPayslip(Exception):
    """This event cannot be paid right here; the reason says why."""


def pay_terms(event: ContractCompletedV1 | WorkReportedV1) -> PayTerms:
    """The pay terms the event carries, checked against the tables' end-of-contract rates."""
    contract_type = ContractType(event.contract_type)
    if event.pay_basis == "hourly" and event.gross_cents is None:
        raise NoPayslip("an hourly pay without its gross")
    if event.pay_basis == "monthly" and event.monthly_gross_cents is None:
        raise NoPayslip("a monthly pay without its monthly gross")
    if event.pay_basis not in ("hourly", "monthly"):
        raise NoPayslip(f"pay basis {event.pay_basis!r} gives no gross")
    parameters = parameters_on(event.period_end.replace(day=1))
    cdd_or_cddu = contract_type in (ContractType.CDD, ContractType.CDDU)
    expected_iccp = parameters.iccp_rate if cdd_or_cddu else Decimal(0)
    expected_precarite = parameters.precarite_rate if contract_type is ContractType.CDD else Decimal(0)
    if Decimal(event.paid_leave_pay_rate) != expected_iccp:
        raise NoPayslip(
            f"paid-leave pay rate {event.paid_leave_pay_rate} where the rules give {expected_iccp}"
        )
    if Decimal(event.precarity_bonus_rate) != expected_precarite:
        raise NoPayslip(
            f"précarité rate {event.precarity_bonus_rate} where the rules give {expected_precarite}"
        )
    return PayTerms(
        contract_type=event.contract_type,
        status=event.status,
        pay_basis=event.pay_basis,
        monthly_gross_cents=event.monthly_gross_cents,
        weekly_hours=Decimal(event.weekly_hours),
        employer_is_association=event.employer_is_association,
    )


def complete_contract(event: ContractCompletedV1, now: datetime) -> CompleteContract | None:
    if event.contract_type in NO_SALARY_HERE or event.last_day_worked is None:
        return None
    return CompleteContract(
        contract_id=event.contract_id,
        member_id=event.member_id,
        employer_id=event.employer_id,
        terms=pay_terms(event),
        minutes=event.minutes,
        gross_cents=event.gross_cents,
        period_start=event.period_start,
        period_end=event.period_end,
        last_day_worked=event.last_day_worked,
        now=now,
    )


def schedule_salary(period: PayPeriodClosed, payslip: Payslip, now: datetime) -> ScheduleSalary:
    """The payslip's net salary, scheduled by the 7-day promise from the last day worked it pays."""
    return ScheduleSalary(
        payslip_id=period.payslip_id,
        member_id=period.member_id,
        net_cents=payslip.net_paid_cents,
        last_day_worked=period.last_day_worked,
        now=now,
    )
