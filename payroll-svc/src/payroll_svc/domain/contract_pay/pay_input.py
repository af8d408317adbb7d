"""A closed pay period and the employer's terms -> the engine's PayInput (pure)."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from decimal import Decimal

from payroll_svc.domain.contract_pay.events import PayPeriodClosed
from payroll_svc.domain.payroll import (
    ContractType,
    HeadcountBand,
    PayInput,
    PortageLevel,
    Status,
    parameters_on,
)

WEEKS_PER_YEAR, MONTHS_PER_YEAR = 52, 12


@dataclass(frozen=True, slots=True)
class EmployerTerms:
    """The employer's own terms a payslip needs, which contracts' events do not carry."""

    headcount: HeadcountBand
    accident_at_work_rate: Decimal
    portage_level: PortageLevel | None = None


def pay_input(
    period: PayPeriodClosed, employer: EmployerTerms, ceiling_used_elsewhere_cents: int
) -> PayInput:
    """`ceiling_used_elsewhere_cents`: what the person's other payslips of the month used of the PMSS."""
    terms = period.terms
    contract_type = ContractType(terms.contract_type)
    parameters = parameters_on(period.period)
    days_in_month = monthrange(period.period.year, period.period.month)[1]
    calendar_days = (period.last_day - period.first_day).days + 1
    full_time_weekly = parameters.full_time_monthly_hours * MONTHS_PER_YEAR / WEEKS_PER_YEAR
    weekly = terms.weekly_hours
    return PayInput(
        period=period.period,
        status=Status(terms.status),
        contract_type=contract_type,
        headcount=employer.headcount,
        accident_at_work_rate=employer.accident_at_work_rate,
        hours_paid=period.hours_paid,
        gross_pay_cents=period.pay_cents,
        calendar_days=None if calendar_days >= days_in_month else calendar_days,
        working_time_ratio=min(Decimal(1), weekly / full_time_weekly) if weekly else Decimal(1),
        ends_in_period=period.final,
        ceiling_used_elsewhere_cents=min(ceiling_used_elsewhere_cents, parameters.pmss_cents),
        employer_is_association=terms.employer_is_association,
        portage_level=employer.portage_level if contract_type is ContractType.PORTAGE else None,
        earlier_pay_cents=period.earlier_pay_cents,
    )
