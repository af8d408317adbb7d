"""Gross to net and employer cost for one contract and one month: pure arithmetic on the parameter tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal
from enum import StrEnum
from typing import NamedTuple

from payroll_svc.domain.payroll.tables import (
    Base,
    ContractType,
    HeadcountBand,
    Parameters,
    Scheme,
    Status,
    parameters_on,
)

ZERO = Decimal(0)
ONE = Decimal(1)
HALF = Decimal("0.5")
FOURTHS = Context(prec=20)  # ample for a coefficient rounded to 4 decimals


class PortageLevel(StrEnum):
    JUNIOR = "junior"
    SENIOR = "senior"
    FORFAIT_JOURS = "forfait_jours"


class Intermittent(StrEnum):
    ANNEX_8 = "annex_8"  # technicians
    ANNEX_10 = "annex_10"  # artists


class InvalidPayInput(ValueError):
    """A pay input the rules refuse; `field` names the input at fault."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PayInput:
    """What one payslip is computed from.

    `gross_pay_cents` is the pay for the work; the end-of-contract indemnities (précarité, ICCP) are added
    to it when `ends_in_period`, computed on it and on `earlier_pay_cents` (the contract's pay for work on
    its payslips of earlier months). `calendar_days` None means the contract covers the whole month.
    `indemnified_pay_cents` is set on the correction of an earlier period made after the contract's last
    payslip: the period's pay that the last payslip's indemnities were computed on; the correction carries
    the indemnities on the difference its pay makes to it (ADR 025).
    """

    period: date
    status: Status
    contract_type: ContractType
    headcount: HeadcountBand
    accident_at_work_rate: Decimal
    hours_paid: Decimal
    gross_pay_cents: int
    calendar_days: int | None = None
    working_time_ratio: Decimal = ONE
    ends_in_period: bool = False
    ceiling_used_elsewhere_cents: int = 0
    withholding_rate: Decimal | None = None
    intermittent: Intermittent | None = None
    employer_is_association: bool = False
    portage_level: PortageLevel | None = None
    earlier_pay_cents: int = 0
    indemnified_pay_cents: int | None = None


class Earning(NamedTuple):  # a tuple: built ~20 times per payslip, a frozen dataclass costs 5x more
    code: str
    label: str
    amount_cents: int


class PayLine(NamedTuple):
    code: str
    label: str
    base_cents: int
    employee_rate: Decimal
    employer_rate: Decimal
    employee_cents: int
    employer_cents: int


@dataclass(frozen=True, slots=True)
class Payslip:
    earnings: tuple[Earning, ...]
    lines: tuple[PayLine, ...]
    gross_cents: int
    ceiling_cents: int
    employee_contributions_cents: int
    employer_contributions_cents: int
    net_before_tax_cents: int
    net_taxable_cents: int
    withholding_rate: Decimal
    withholding_cents: int
    net_paid_cents: int
    rgdu_coefficient: Decimal
    rgdu_cents: int
    employer_cost_cents: int
    smic_cents: int = field(default=0)


def _validate(pay: PayInput, parameters: Parameters) -> None:
    if pay.gross_pay_cents < 0:
        raise InvalidPayInput("gross", "must not be negative")
    if pay.earlier_pay_cents < 0:
        raise InvalidPayInput("earlier_pay", "must not be negative")
    if pay.indemnified_pay_cents is not None and (pay.indemnified_pay_cents < 0 or pay.ends_in_period):
        raise InvalidPayInput(
            "indemnified_pay", "an earlier period's pay, not negative, not on the last payslip"
        )
    # A last payslip may pay only the end-of-contract indemnities on the earlier months' pay: no hours.
    indemnities_only = pay.ends_in_period and pay.gross_pay_cents == 0 and pay.earlier_pay_cents > 0
    if pay.hours_paid < 0 or (pay.hours_paid == 0 and not indemnities_only):
        raise InvalidPayInput("hours", "must be positive")
    if not ZERO <= pay.accident_at_work_rate < ONE:
        raise InvalidPayInput("accident_at_work_rate", "must be a rate between 0 and 1")
    if not ZERO < pay.working_time_ratio <= ONE:
        raise InvalidPayInput("working_time_ratio", "must be above 0 and at most 1")
    if pay.calendar_days is not None and not 1 <= pay.calendar_days <= 31:
        raise InvalidPayInput("days", "must be between 1 and 31 calendar days")
    if not 0 <= pay.ceiling_used_elsewhere_cents <= parameters.pmss_cents:
        raise InvalidPayInput("ceiling_used_elsewhere", "must be between 0 and the PMSS")
    if pay.withholding_rate is not None and not ZERO <= pay.withholding_rate < ONE:
        raise InvalidPayInput("withholding_rate", "must be a rate between 0 and 1")
    if pay.intermittent is not None:
        if pay.contract_type is not ContractType.CDDU:
            raise InvalidPayInput("intermittent", "an intermittent du spectacle is hired on a CDDU")
        if not pay.employer_is_association:
            raise InvalidPayInput("intermittent", "only when an association is the legal employer")
    if (pay.contract_type is ContractType.PORTAGE) != (pay.portage_level is not None):
        raise InvalidPayInput("portage_level", "required for portage, and only for portage")


def compute_payslip(pay: PayInput, parameters: Parameters | None = None) -> Payslip:
    """The payslip of `pay`; every line rounded to the cent by the tables' rounding rule."""
    p = parameters or parameters_on(pay.period)
    _validate(pay, p)
    mode = p.rounding

    def cents(amount: Decimal) -> int:
        return int(amount.quantize(ONE, mode))

    # What the person's other contracts of the month already used of the PMSS is no longer available.
    ceiling_cents = min(contract_ceiling_cents(pay, p), p.pmss_cents - pay.ceiling_used_elsewhere_cents)

    if pay.portage_level is not None:
        minimum = cents(
            _calendar_ceiling(pay, p) * p.portage_minimum[pay.portage_level] * pay.working_time_ratio
        )
        if pay.gross_pay_cents < minimum:
            raise InvalidPayInput(
                "gross", f"below the portage minimum pay of {minimum / 100:.2f} € for the period"
            )

    earnings = [Earning("salaire_base", "Salaire de base", pay.gross_pay_cents)]
    leave_fund = pay.intermittent is not None  # Congés Spectacles pays the leave, not the employer
    indemnified = pay.indemnified_pay_cents
    if pay.ends_in_period or (indemnified is not None and indemnified != pay.gross_pay_cents):
        # On the last payslip, on the whole contract's pay; on an earlier period's correction after it, on the
        # difference of pay (a raise's own indemnities; a cut takes back those paid on it), same codes.
        if indemnified is None:
            subtotal, suffix = pay.gross_pay_cents + pay.earlier_pay_cents, ""
        else:
            subtotal, suffix = pay.gross_pay_cents - indemnified, " (régularisation)"
        if pay.contract_type is ContractType.CDD:
            precarite = cents(subtotal * p.precarite_rate)
            earnings.append(
                Earning("indemnite_precarite", f"Indemnité de fin de contrat (précarité){suffix}", precarite)
            )
            subtotal += precarite
        if pay.contract_type in (ContractType.CDD, ContractType.CDDU) and not leave_fund:
            iccp = cents(subtotal * p.iccp_rate)
            earnings.append(Earning("iccp", f"Indemnité compensatrice de congés payés{suffix}", iccp))
    gross = sum(earning.amount_cents for earning in earnings)

    scheme = Scheme.INTERMITTENT if pay.intermittent is not None else Scheme.GENERAL
    artist = pay.intermittent is Intermittent.ANNEX_10
    bases = {
        Base.GROSS: gross,
        Base.TRANCHE_1: min(gross, ceiling_cents),
        Base.TRANCHE_2: max(0, min(gross, 8 * ceiling_cents) - ceiling_cents),
        Base.CEILING_X4: min(gross, 4 * ceiling_cents),
        Base.CET: min(gross, 8 * ceiling_cents) if gross > ceiling_cents else 0,
    }
    abated = min(gross, p.csg_abated_ceilings * ceiling_cents)
    csg_on_gross = cents(abated * p.csg_abated_share) + gross - abated

    lines: list[PayLine] = []
    prevoyance = 0
    taxable_back = 0  # employee lines that are not deductible from taxable income
    rgdu_covered = 0  # employer lines the RGDU may reduce
    for rule in p.lines_for(pay.headcount, pay.status, pay.contract_type, scheme):
        if rule.base is Base.CSG:
            base = csg_on_gross + prevoyance
        elif rule.base is Base.EMPLOYER_PREVOYANCE:
            base = prevoyance
        else:
            base = bases[rule.base]
        if base == 0:
            continue
        employee_rate = rule.employee_rate
        employer_rate = pay.accident_at_work_rate if rule.employer_rate is None else rule.employer_rate
        if artist and rule.social_security:
            employee_rate *= p.artist_share
            employer_rate *= p.artist_share
        line = PayLine(
            code=rule.code,
            label=rule.label,
            base_cents=base,
            employee_rate=employee_rate,
            employer_rate=employer_rate,
            employee_cents=int((base * employee_rate).quantize(ONE, mode)) if employee_rate else 0,
            employer_cents=int((base * employer_rate).quantize(ONE, mode)) if employer_rate else 0,
        )
        if rule.code == "prevoyance_cadres":
            prevoyance = line.employer_cents
        if rule.taxable:
            taxable_back += line.employee_cents
        if rule.rgdu_covered:
            rgdu_covered += line.employer_cents
        lines.append(line)

    smic_cents, coefficient = _rgdu(pay, p, gross)
    rgdu = min(cents(gross * coefficient), rgdu_covered)
    if rgdu:
        lines.append(
            PayLine(
                code="rgdu",
                label="Réduction générale dégressive unique des cotisations patronales",
                base_cents=gross,
                employee_rate=ZERO,
                employer_rate=-coefficient,
                employee_cents=0,
                employer_cents=-rgdu,
            )
        )

    employee_total = sum(line.employee_cents for line in lines)
    employer_total = sum(line.employer_cents for line in lines)
    net_before_tax = gross - employee_total
    net_taxable = net_before_tax + taxable_back
    rate = pay.withholding_rate if pay.withholding_rate is not None else neutral_rate(p, net_taxable)
    withholding = cents(net_taxable * rate) if net_taxable > 0 else 0
    return Payslip(
        earnings=tuple(earnings),
        lines=tuple(lines),
        gross_cents=gross,
        ceiling_cents=ceiling_cents,
        employee_contributions_cents=employee_total,
        employer_contributions_cents=employer_total,
        net_before_tax_cents=net_before_tax,
        net_taxable_cents=net_taxable,
        withholding_rate=rate,
        withholding_cents=withholding,
        net_paid_cents=net_before_tax - withholding,
        rgdu_coefficient=coefficient,
        rgdu_cents=rgdu,
        employer_cost_cents=gross + employer_total,
        smic_cents=smic_cents,
    )


def _calendar_ceiling(pay: PayInput, p: Parameters) -> Decimal:
    """The PMSS, pro-rated to the calendar days of an incomplete month and never above the PMSS."""
    ceiling = Decimal(p.pmss_cents)
    if pay.calendar_days is not None:
        ceiling = min(ceiling, ceiling * pay.calendar_days / p.days_divisor)
    return ceiling


def contract_ceiling_cents(pay: PayInput, p: Parameters) -> int:
    """The contract's own ceiling for the month: calendar days, then working time (part time)."""
    return int((_calendar_ceiling(pay, p) * pay.working_time_ratio).quantize(ONE, p.rounding))


def _rgdu(pay: PayInput, p: Parameters, gross: int) -> tuple[int, Decimal]:
    """The SMIC for the hours paid (in cents) and the RGDU coefficient on `gross`."""
    smic = p.smic_hourly * pay.hours_paid * 100
    leave_fund = pay.intermittent is not None  # Congés Spectacles pays the leave
    coefficient = rgdu_coefficient(p, pay.headcount, smic, gross, leave_fund=leave_fund)
    return int(smic.quantize(ONE, "ROUND_HALF_UP")), coefficient


def rgdu_coefficient(
    p: Parameters,
    headcount: HeadcountBand,
    smic_cents: Decimal,
    gross_cents: int,
    *,
    leave_fund: bool = False,
) -> Decimal:
    """The RGDU coefficient for a gross against the SMIC of the same hours (a month, or a year to date); an
    employer whose leave is paid by a leave fund has it raised by the tables' factor (100/90)."""
    rule = p.rgdu[headcount]
    if gross_cents <= 0 or gross_cents >= rule.ceiling_smic * smic_cents:
        return ZERO
    ratio = HALF * (rule.ceiling_smic * smic_cents / gross_cents - ONE)
    coefficient = min(rule.maximum, rule.minimum + rule.tdelta * _power(ratio, rule.exponent))
    if leave_fund:
        coefficient *= rule.leave_fund_factor
    return coefficient.quantize(rule.quantum, "ROUND_HALF_UP")


def _power(x: Decimal, exponent: Decimal) -> Decimal:
    """x ** exponent; for a multiple of 1/4 (the RGDU's 1.75) through square roots, ten times faster than the
    general power (logarithms) and as exact at this precision."""
    fourths = exponent * 4
    if fourths == fourths.to_integral_value() and fourths > 0:
        return FOURTHS.power(FOURTHS.sqrt(FOURTHS.sqrt(x)), int(fourths))
    return FOURTHS.power(x, exponent)


def neutral_rate(parameters: Parameters, net_taxable_cents: int) -> Decimal:
    """The neutral withholding rate for a monthly net taxable pay (the grid of the tables)."""
    rate = ZERO
    for from_cents, bracket_rate in parameters.neutral_grid:
        if net_taxable_cents >= from_cents:
            rate = bracket_rate
    return rate
