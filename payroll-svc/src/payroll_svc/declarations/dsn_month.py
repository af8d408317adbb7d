"""An issued payslip -> the DSN's contract month (dsn.ContractMonth): what the payslip event keeps; the
establishment contracts-svc published with the drafts -> the DSN's company and establishment blocks."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from payroll_svc.declarations.dsn import Company, ContractMonth, Establishment, Person
from payroll_svc.domain.payroll import ContractType, Earning, PayLine, Payslip, Status
from payroll_svc.domain.payslips import PayslipIssued
from payroll_svc.read_models import establishments


def contract_month(issued: PayslipIssued, person: Person, paid_on: date) -> ContractMonth:
    pay = issued.pay
    ends_on = issued.last_day_worked
    days = pay.calendar_days if pay is not None else None
    # The contract's first day in the month: the payslip keeps its calendar days, not the date (UNVERIFIED
    # for a contract that started in an earlier month: the month's first day is declared).
    starts_on = issued.period if days is None else max(issued.period, ends_on - timedelta(days=days - 1))
    return ContractMonth(
        person=person,
        contract_number=issued.contract_id.hex[:20],
        contract_type=ContractType(issued.contract_type),
        status=pay.status if pay is not None else Status.NON_CADRE,
        job_title="NON COMMUNIQUE",  # contracts' events do not carry the job title (UNVERIFIED placeholder)
        starts_on=starts_on,
        ends_on=ends_on,
        ended_in_month=pay.ends_in_period if pay is not None else True,
        hours=issued.hours_paid,
        paid_on=paid_on,
        payslip=issued.payslip(),
    )


def regularisation(
    correction: PayslipIssued, corrected: PayslipIssued, person: Person, paid_on: date
) -> ContractMonth:
    """A correction as the DSN of the month it is paid (or, for a cut, issued) in declares it: the difference
    it makes to the payslip it corrects, for that payslip's period. The corrected payslip stays in the DSN of
    its own month, which was sent with it."""
    new, old = correction.payslip(), corrected.payslip()
    earlier = contract_month(corrected, person, paid_on)
    return replace(
        contract_month(correction, person, paid_on),
        ended_in_month=False,  # its end (if any) was declared with the corrected payslip
        hours=correction.hours_paid - corrected.hours_paid,
        payslip=_difference(new, old),
        regularised=(earlier.starts_on, earlier.ends_on or corrected.last_day_worked),
        capped_base_cents=min(new.gross_cents, new.ceiling_cents) - min(old.gross_cents, old.ceiling_cents),
    )


def _difference(new: Payslip, old: Payslip) -> Payslip:
    """Line by line (a line is its code, label and rates), `new` less `old`; rates are the new ones'."""
    earnings: dict[tuple[str, str], int] = {}
    for earning, sign in [(e, 1) for e in new.earnings] + [(e, -1) for e in old.earnings]:
        named = (earning.code, earning.label)
        earnings[named] = earnings.get(named, 0) + sign * earning.amount_cents
    lines: dict[tuple[str, str, Decimal, Decimal], tuple[int, int, int]] = {}
    for line, sign in [(x, 1) for x in new.lines] + [(x, -1) for x in old.lines]:
        key = (line.code, line.label, line.employee_rate, line.employer_rate)
        base, employee, employer = lines.get(key, (0, 0, 0))
        lines[key] = (
            base + sign * line.base_cents,
            employee + sign * line.employee_cents,
            employer + sign * line.employer_cents,
        )
    return replace(
        new,
        earnings=tuple(Earning(code, label, cents) for (code, label), cents in earnings.items() if cents),
        lines=tuple(
            PayLine(code, label, base, employee_rate, employer_rate, employee, employer)
            for (code, label, employee_rate, employer_rate), (base, employee, employer) in lines.items()
            if (base, employee, employer) != (0, 0, 0)
        ),
        gross_cents=new.gross_cents - old.gross_cents,
        ceiling_cents=new.ceiling_cents - old.ceiling_cents,
        employee_contributions_cents=new.employee_contributions_cents - old.employee_contributions_cents,
        employer_contributions_cents=new.employer_contributions_cents - old.employer_contributions_cents,
        net_before_tax_cents=new.net_before_tax_cents - old.net_before_tax_cents,
        net_taxable_cents=new.net_taxable_cents - old.net_taxable_cents,
        withholding_cents=new.withholding_cents - old.withholding_cents,
        net_paid_cents=new.net_paid_cents - old.net_paid_cents,
        rgdu_cents=new.rgdu_cents - old.rgdu_cents,
        employer_cost_cents=new.employer_cost_cents - old.employer_cost_cents,
    )


def declared_establishment(
    registered: establishments.Establishment, headcount: int
) -> tuple[Company, Establishment]:
    """S21.G00.06 and S21.G00.11 from the establishment's SIRENE registration. `headcount` (.11.008, the
    headcount at the end of the month) is the people declared in this DSN (UNVERIFIED: the cahier technique
    counts the employees under contract on the month's last day)."""
    siren, nic = registered.siret[:9], registered.siret[9:]
    ape = registered.ape_code.replace(".", "")  # the DSN writes 9001Z; SIRENE shows 90.01Z
    address = (registered.street, registered.postal_code, registered.city)
    # UNVERIFIED: the head office's NIC is not published with the contracts: the establishment stands in.
    company = Company(siren, nic, ape, *address)
    return company, Establishment(nic, ape, *address, headcount)
