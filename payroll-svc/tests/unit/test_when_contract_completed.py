"""contracts.ContractCompleted v1 (the published schema's example) -> the final payslip and its pay date."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from payroll_svc.domain.payments import SalaryScheduled, salary_payment_decider
from payroll_svc.domain.payroll import ContractType, HeadcountBand, Status, compute_payslip
from payroll_svc.integration.when_contract_completed import (
    EmployerTerms,
    NoPayslip,
    final_pay,
    payslip_id_of,
    schedule_salary,
)
from schemas.generated.contracts.contract_completed_v1 import ContractCompletedV1

SCHEMA = (
    Path(__file__).resolve().parents[3] / "schemas" / "jsonschema" / "contracts" / "ContractCompleted.v1.json"
)
EXAMPLE: dict[str, Any] = json.loads(SCHEMA.read_text())["examples"][0]
EMPLOYER = EmployerTerms(headcount=HeadcountBand.FROM_50, accident_at_work_rate=Decimal("0.007"))
NOW = datetime(2026, 12, 5, 19, 0, tzinfo=UTC)


def completed(**changes: Any) -> ContractCompletedV1:
    return ContractCompletedV1.model_validate({**EXAMPLE, **changes})


def test_a_completed_five_day_cddu_gives_its_final_payslip_and_a_salary_on_the_friday() -> None:
    final = final_pay(completed(), EMPLOYER)

    assert final.pay.contract_type is ContractType.CDDU
    assert final.pay.status is Status.NON_CADRE
    assert (final.pay.period, final.pay.calendar_days, final.pay.hours_paid) == (
        date(2026, 12, 1),
        5,
        Decimal(35),
    )
    assert final.pay.gross_pay_cents == 52500
    assert final.pay.employer_is_association
    payslip = compute_payslip(final.pay)
    assert payslip.gross_cents == 52500 + 5250  # the ICCP at 10 %
    [scheduled] = salary_payment_decider.decide(
        schedule_salary(final, payslip, NOW), salary_payment_decider.initial_state
    )
    # Last day worked Saturday 5 December: due Saturday 12, paid Friday 11 December.
    assert isinstance(scheduled, SalaryScheduled)
    assert scheduled.due_on == date(2026, 12, 11)
    assert scheduled.net_cents == payslip.net_paid_cents


def test_a_redelivered_completion_gives_the_same_payslip_id() -> None:
    assert final_pay(completed(), EMPLOYER).payslip_id == final_pay(completed(), EMPLOYER).payslip_id
    assert final_pay(completed(), EMPLOYER).payslip_id == payslip_id_of(
        completed().contract_id, date(2026, 12, 1)
    )


def test_a_monthly_paid_contract_ending_mid_month_is_paid_by_calendar_days() -> None:
    event = completed(
        contract_type="cdd",
        pay_basis="monthly",
        hourly_rate_cents=None,
        monthly_gross_cents=310000,
        gross_cents=None,
        precarity_bonus_rate="0.10",
        period_start="2026-12-01",
        period_end="2026-12-15",
    )

    final = final_pay(event, EMPLOYER)

    assert final.pay.gross_pay_cents == 150000  # 3,100.00 x 15 / 31
    assert final.pay.hours_paid == Decimal("73.39")  # 35 x 52 / 12 x 15 / 31
    assert [e.code for e in compute_payslip(final.pay).earnings] == [
        "salaire_base",
        "indemnite_precarite",
        "iccp",
    ]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"contract_type": "cape"}, "not employment"),
        ({"last_day_worked": None, "first_day_worked": None}, "no work"),
        ({"period_start": "2026-11-28"}, "spans months"),
        ({"paid_leave_pay_rate": "0"}, "paid-leave pay rate 0"),
        ({"precarity_bonus_rate": "0.10"}, "précarité rate 0.10"),
    ],
)
def test_completions_that_give_no_payslip_here_say_why(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(NoPayslip, match=reason):
        final_pay(completed(**changes), EMPLOYER)
