"""The monthly DSN: a generated month of 200 people and 1,000 contracts passes the structural check, and the
check catches what breaks the structure."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from payroll_svc.declarations.dsn import (
    Company,
    ContractMonth,
    Establishment,
    Person,
    Sender,
    check_dsn,
    monthly_dsn,
)
from payroll_svc.domain.payroll import ContractType, HeadcountBand, PayInput, Status, compute_payslip

MONTH = date(2026, 3, 1)
SENDER = Sender("backoffice", "SmartFr SCIC", "0.1", "Service paie", "paie@smartfr.example")
COMPANY = Company("732829320", "00074", "9001Z", "12 rue des Arts", "75011", "PARIS")
ESTABLISHMENT = Establishment("00074", "9001Z", "12 rue des Arts", "75011", "PARIS", 824)


def a_nir(rng: random.Random) -> str:
    """Sex, birth year and month, Paris (75), commune and order numbers, then the key: 97 - number mod 97."""
    body = f"{rng.choice('12')}{rng.randint(50, 99):02d}{rng.randint(1, 12):02d}75"
    body += f"{rng.randint(100, 999)}{rng.randint(100, 999)}"
    return f"{body}{97 - int(body) % 97:02d}"


def generated_month(people: int = 200, contracts: int = 1000, seed: int = 2026) -> list[ContractMonth]:
    rng = random.Random(seed)
    persons = [
        Person(a_nir(rng), f"NOM{i}", f"Prénom{i}", rng.choice(["01", "02"]), date(1990, 1, 1), "PARIS")
        for i in range(people)
    ]
    months = []
    for number in range(contracts):
        person = persons[number % people]  # five contracts each
        start = MONTH + timedelta(days=rng.randint(0, 18))  # ends by the 21st, paid in the month
        days = rng.randint(1, 3)
        end = start + timedelta(days=days - 1)
        hours = Decimal(days * 7)
        status = rng.choice(list(Status))
        payslip = compute_payslip(
            PayInput(
                period=MONTH,
                status=status,
                contract_type=ContractType.CDDU,
                headcount=HeadcountBand.FROM_50,
                accident_at_work_rate=Decimal("0.007"),
                hours_paid=hours,
                gross_pay_cents=rng.randint(15_00, 40_00) * int(hours),
                calendar_days=days,
                ends_in_period=True,
            )
        )
        months.append(
            ContractMonth(
                person=person,
                contract_number=f"C{number:06d}",
                contract_type=ContractType.CDDU,
                status=status,
                job_title="Technicien du spectacle",
                starts_on=start,
                ends_on=end,
                ended_in_month=True,
                hours=hours,
                paid_on=end + timedelta(days=7),
                payslip=payslip,
            )
        )
    return months


@pytest.fixture(scope="module")
def dsn() -> str:
    return monthly_dsn(MONTH, SENDER, COMPANY, ESTABLISHMENT, generated_month(), made_on=date(2026, 4, 3))


def test_a_month_of_200_people_and_1000_contracts_passes_the_structural_check(dsn: str) -> None:
    lines = dsn.splitlines()

    assert check_dsn(dsn) == []
    assert sum(line.startswith("S21.G00.30.001,") for line in lines) == 200
    assert sum(line.startswith("S21.G00.40.001,") for line in lines) == 1000
    assert sum(line.startswith("S21.G00.62.001,") for line in lines) == 1000
    assert lines[-2] == f"S90.G00.90.001,'{len(lines)}'"
    assert "S10.G00.00.006,'P26V01'" in lines
    assert "S20.G00.05.005,'01032026'" in lines


def test_the_urssaf_payment_is_the_sum_of_the_aggregated_contributions(dsn: str) -> None:
    lines = dsn.splitlines()
    payment = next(line for line in lines if line.startswith("S21.G00.20.005,"))
    aggregated = [line for line in lines if line.startswith("S21.G00.23.005,")]

    total = sum(Decimal(line.split(",")[1].strip("'")) for line in aggregated)
    assert Decimal(payment.split(",")[1].strip("'")) == total


def test_the_check_finds_a_missing_rubric_a_block_out_of_order_and_a_wrong_count(dsn: str) -> None:
    lines = dsn.splitlines()
    no_nir = "\n".join(line for line in lines if not line.startswith("S21.G00.30.001,"))
    first_person = next(i for i, line in enumerate(lines) if line.startswith("S21.G00.30."))
    swapped = "\n".join([*lines[:4], *lines[first_person : first_person + 6], *lines[4:]])
    miscounted = "\n".join([*lines[:-2], "S90.G00.90.001,'12'", lines[-1]])

    assert any("S21.G00.30" in fault and "misses 001" in fault for fault in check_dsn(no_nir))
    assert any("may not follow" in fault for fault in check_dsn(swapped))
    assert any("S90.G00.90.001 says 12" in fault for fault in check_dsn(miscounted))


def test_identity_quotes_never_break_a_line() -> None:
    person = replace(generated_month(1, 1)[0].person, family_name="D'ARTAGNAN")
    month = replace(generated_month(1, 1)[0], person=person)

    text = monthly_dsn(MONTH, SENDER, COMPANY, ESTABLISHMENT, [month], made_on=date(2026, 4, 3))

    assert check_dsn(text) == []
    assert "S21.G00.30.002,'D ARTAGNAN'" in text.splitlines()


def test_pay_is_declared_in_the_month_it_is_paid_in() -> None:
    paid_in_april = replace(generated_month(1, 1)[0], paid_on=date(2026, 4, 2))

    with pytest.raises(ValueError, match="paid outside 2026-03"):
        monthly_dsn(MONTH, SENDER, COMPANY, ESTABLISHMENT, [paid_in_april], made_on=date(2026, 4, 3))
