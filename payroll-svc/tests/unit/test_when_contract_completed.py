"""contracts.ContractCompleted v1 (the published schema's example) -> the final payslip and its pay date."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from payroll_svc.domain.contract_pay import PayPeriodClosed, contract_pay_decider, payslip_id_of
from payroll_svc.domain.contract_pay.pay_input import EmployerTerms, pay_input
from payroll_svc.domain.payments import SalaryScheduled, salary_payment_decider
from payroll_svc.domain.payroll import ContractType, HeadcountBand, PayInput, Status, compute_payslip
from payroll_svc.integration.when_contract_completed import NoPayslip, complete_contract, schedule_salary
from payroll_svc.integration.when_work_reported import record_work
from schemas.generated.contracts.contract_completed_v1 import ContractCompletedV1
from schemas.generated.contracts.work_reported_v1 import WorkReportedV1

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas" / "jsonschema" / "contracts"
EXAMPLE: dict[str, Any] = json.loads((SCHEMAS / "ContractCompleted.v1.json").read_text())["examples"][0]
REPORTED: dict[str, Any] = json.loads((SCHEMAS / "WorkReported.v1.json").read_text())["examples"][0]
EMPLOYER = EmployerTerms(headcount=HeadcountBand.FROM_50, accident_at_work_rate=Decimal("0.007"))
NOW = datetime(2026, 12, 5, 19, 0, tzinfo=UTC)
MONTHLY_CDD: dict[str, Any] = {  # 3,100.00 € a month, 35 h a week
    "contract_type": "cdd",
    "pay_basis": "monthly",
    "hourly_rate_cents": None,
    "monthly_gross_cents": 310000,
    "gross_cents": None,
    "precarity_bonus_rate": "0.10",
}


def completed(**changes: Any) -> ContractCompletedV1:
    return ContractCompletedV1.model_validate({**EXAMPLE, **changes})


def final_period(event: ContractCompletedV1) -> PayPeriodClosed:
    """The completion alone (no work recorded before): its one, final, pay period."""
    command = complete_contract(event, NOW)
    assert command is not None
    [period] = contract_pay_decider.decide(command, contract_pay_decider.initial_state)
    assert isinstance(period, PayPeriodClosed)
    return period


def final_pay(event: ContractCompletedV1) -> PayInput:
    return pay_input(final_period(event), EMPLOYER, 0)


def test_a_completed_five_day_cddu_gives_its_final_payslip_and_a_salary_on_the_friday() -> None:
    period = final_period(completed())
    pay = pay_input(period, EMPLOYER, 0)

    assert pay.contract_type is ContractType.CDDU
    assert pay.status is Status.NON_CADRE
    assert (pay.period, pay.calendar_days, pay.hours_paid) == (date(2026, 12, 1), 5, Decimal(35))
    assert pay.gross_pay_cents == 52500
    assert pay.employer_is_association
    payslip = compute_payslip(pay)
    assert payslip.gross_cents == 52500 + 5250  # the ICCP at 10 %
    [scheduled] = salary_payment_decider.decide(
        schedule_salary(period, payslip, NOW), salary_payment_decider.initial_state
    )
    # Last day worked Saturday 5 December: due Saturday 12, paid Friday 11 December.
    assert isinstance(scheduled, SalaryScheduled)
    assert scheduled.due_on == date(2026, 12, 11)
    assert scheduled.net_cents == payslip.net_paid_cents


def test_a_redelivered_completion_gives_the_same_payslip_id() -> None:
    assert final_period(completed()).payslip_id == final_period(completed()).payslip_id
    assert final_period(completed()).payslip_id == payslip_id_of(completed().contract_id, date(2026, 12, 1))


def test_a_monthly_paid_contract_ending_mid_month_is_paid_by_calendar_days() -> None:
    event = completed(**MONTHLY_CDD, period_start="2026-12-01", period_end="2026-12-15")

    pay = final_pay(event)

    assert pay.gross_pay_cents == 150000  # 3,100.00 x 15 / 31
    assert pay.hours_paid == Decimal("73.39")  # 35 x 52 / 12 x 15 / 31
    assert [e.code for e in compute_payslip(pay).earnings] == [
        "salaire_base",
        "indemnite_precarite",
        "iccp",
    ]


def test_a_monthly_paid_contract_over_two_months_gives_a_payslip_for_each() -> None:
    event = completed(**MONTHLY_CDD, period_start="2026-11-16", period_end="2026-12-15")
    command = complete_contract(event, NOW)
    assert command is not None

    november, december = contract_pay_decider.decide(command, contract_pay_decider.initial_state)

    assert isinstance(november, PayPeriodClosed)
    assert isinstance(december, PayPeriodClosed)
    assert (november.period, november.pay_cents, november.final) == (date(2026, 11, 1), 155000, False)
    assert (december.period, december.pay_cents, december.final) == (date(2026, 12, 1), 150000, True)
    assert december.earlier_pay_cents == 155000  # précarité and ICCP on both months' pay


def test_reported_work_is_recorded_with_its_pay_terms() -> None:
    report_id = uuid4()
    command = record_work(WorkReportedV1.model_validate(REPORTED), report_id, NOW)
    assert command is not None
    assert (command.report_id, command.minutes, command.gross_cents) == (report_id, 2100, 52500)
    assert command.terms.contract_type == "cddu"
    cape = {**REPORTED, "contract_type": "cape", "pay_basis": "none", "gross_cents": None}
    assert record_work(WorkReportedV1.model_validate(cape), report_id, NOW) is None


def test_a_cape_or_a_contract_without_work_gives_no_payslip() -> None:
    assert complete_contract(completed(contract_type="cape"), NOW) is None
    assert complete_contract(completed(last_day_worked=None, first_day_worked=None), NOW) is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"paid_leave_pay_rate": "0"}, "paid-leave pay rate 0"),
        ({"precarity_bonus_rate": "0.10"}, "précarité rate 0.10"),
        ({"gross_cents": None}, "without its gross"),
    ],
)
def test_completions_that_cannot_be_paid_right_say_why(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(NoPayslip, match=reason):
        complete_contract(completed(**changes), NOW)
