"""The RGDU on cumulative annual figures: each month, the year-to-date reduction less what was applied.

The coefficient of the year to date is computed on the cumulated gross and the cumulated SMIC of the hours
paid (each month's SMIC at its own hourly rate); this month's reduction is that coefficient times the
cumulated gross, less the reductions of the earlier months. A negative amount takes back what was applied
too early (a pay that rose during the year).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from payroll_svc.domain.payroll.payslip import ONE, rgdu_coefficient
from payroll_svc.domain.payroll.tables import HeadcountBand, Parameters


@dataclass(frozen=True, slots=True)
class RgduYearToDate:
    coefficient: Decimal
    year_to_date_cents: int
    this_month_cents: int


def regularised_rgdu(
    parameters: Parameters,
    headcount: HeadcountBand,
    year_to_date_gross_cents: int,
    year_to_date_smic_cents: int,
    applied_before_cents: int,
) -> RgduYearToDate:
    """Year-to-date figures include this month; `applied_before_cents` is the earlier months' RGDU."""
    coefficient = rgdu_coefficient(
        parameters, headcount, Decimal(year_to_date_smic_cents), year_to_date_gross_cents
    )
    year_to_date = int((coefficient * year_to_date_gross_cents).quantize(ONE, parameters.rounding))
    return RgduYearToDate(coefficient, year_to_date, year_to_date - applied_before_cents)
