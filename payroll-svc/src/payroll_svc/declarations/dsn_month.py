"""An issued payslip -> the DSN's contract month (dsn.ContractMonth): what the payslip event keeps; the
establishment contracts-svc published with the drafts -> the DSN's company and establishment blocks."""

from __future__ import annotations

from datetime import date, timedelta

from payroll_svc.declarations.dsn import Company, ContractMonth, Establishment, Person
from payroll_svc.domain.payroll import ContractType, Status
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
