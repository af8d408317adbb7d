"""POST /internal/payroll/simulations: a payslip from a gross or from an employer budget, nothing stored."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from payroll_svc.domain.payroll import (
    ContractType,
    HeadcountBand,
    Intermittent,
    InvalidPayInput,
    NoGrossForBudget,
    NoParameters,
    PayInput,
    Payslip,
    PortageLevel,
    Status,
    compute_payslip,
    gross_for_budget,
)
from services.caller import CurrentCaller, require_scope
from services.http import Problem
from services.http.problems import ProblemMapper

router = APIRouter(prefix="/internal/payroll")

SCOPE = "payroll:simulate"
PERIOD = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"  # year 0000 is no date


class SimulationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(pattern=PERIOD)
    status: Literal["cadre", "non_cadre"]
    contract_type: Literal["cdi", "cdd", "cddu", "portage"]
    headcount_band: Literal["under_11", "11_to_49", "50_and_over"]
    accident_at_work_rate: Decimal = Field(ge=0, lt=1, max_digits=8)
    hours: Decimal = Field(gt=0, le=744, max_digits=8)
    days: int | None = Field(default=None, ge=1, le=31)
    working_time_ratio: Decimal = Field(default=Decimal(1), gt=0, le=1, max_digits=8)
    ends_in_period: bool = False
    ceiling_used_elsewhere_cents: int = Field(default=0, ge=0, le=10**9)
    withholding_rate: Decimal | None = Field(default=None, ge=0, lt=1, max_digits=8)
    intermittent: Literal["annex_8", "annex_10"] | None = None
    employer_is_association: bool = False
    portage_level: Literal["junior", "senior", "forfait_jours"] | None = None
    gross_cents: int | None = Field(default=None, ge=0, le=10**10)
    employer_budget_cents: int | None = Field(default=None, ge=0, le=10**10)


class SimulatedEarning(BaseModel):
    code: str
    label: str
    amount_cents: int


class SimulatedLine(BaseModel):
    code: str
    label: str
    base_cents: int
    employee_rate: Decimal
    employer_rate: Decimal
    employee_cents: int
    employer_cents: int


class Simulation(BaseModel):
    period: str
    gross_cents: int
    earnings: list[SimulatedEarning]
    lines: list[SimulatedLine]
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
    employer_budget_cents: int | None
    unspent_cents: int | None


def pay_input(body: SimulationRequest, gross_pay_cents: int) -> PayInput:
    year, month = (int(part) for part in body.period.split("-"))
    return PayInput(
        period=date(year, month, 1),
        status=Status(body.status),
        contract_type=ContractType(body.contract_type),
        headcount=HeadcountBand(body.headcount_band),
        accident_at_work_rate=body.accident_at_work_rate,
        hours_paid=body.hours,
        gross_pay_cents=gross_pay_cents,
        calendar_days=body.days,
        working_time_ratio=body.working_time_ratio,
        ends_in_period=body.ends_in_period,
        ceiling_used_elsewhere_cents=body.ceiling_used_elsewhere_cents,
        withholding_rate=body.withholding_rate,
        intermittent=None if body.intermittent is None else Intermittent(body.intermittent),
        employer_is_association=body.employer_is_association,
        portage_level=None if body.portage_level is None else PortageLevel(body.portage_level),
    )


def _answer(body: SimulationRequest, payslip: Payslip, budget: int | None) -> Simulation:
    return Simulation(
        period=body.period,
        gross_cents=payslip.gross_cents,
        earnings=[
            SimulatedEarning(code=e.code, label=e.label, amount_cents=e.amount_cents)
            for e in payslip.earnings
        ],
        lines=[
            SimulatedLine(
                code=line.code,
                label=line.label,
                base_cents=line.base_cents,
                employee_rate=line.employee_rate,
                employer_rate=line.employer_rate,
                employee_cents=line.employee_cents,
                employer_cents=line.employer_cents,
            )
            for line in payslip.lines
        ],
        ceiling_cents=payslip.ceiling_cents,
        employee_contributions_cents=payslip.employee_contributions_cents,
        employer_contributions_cents=payslip.employer_contributions_cents,
        net_before_tax_cents=payslip.net_before_tax_cents,
        net_taxable_cents=payslip.net_taxable_cents,
        withholding_rate=payslip.withholding_rate,
        withholding_cents=payslip.withholding_cents,
        net_paid_cents=payslip.net_paid_cents,
        rgdu_coefficient=payslip.rgdu_coefficient,
        rgdu_cents=payslip.rgdu_cents,
        employer_cost_cents=payslip.employer_cost_cents,
        employer_budget_cents=budget,
        unspent_cents=None if budget is None else budget - payslip.employer_cost_cents,
    )


@router.post("/simulations")
async def simulate_payslip(body: SimulationRequest, caller: CurrentCaller) -> Simulation:
    require_scope(caller, SCOPE)
    if (body.gross_cents is None) == (body.employer_budget_cents is None):
        raise Problem(
            400,
            "gross_or_budget",
            detail="give either gross_cents or employer_budget_cents",
            param="body.gross_cents",
        )
    if body.gross_cents is not None:
        return _answer(body, compute_payslip(pay_input(body, body.gross_cents)), None)
    assert body.employer_budget_cents is not None
    solution = gross_for_budget(pay_input(body, 0), body.employer_budget_cents)
    return _answer(body, solution.payslip, body.employer_budget_cents)


# The engine's names of its inputs -> the request's fields.
FIELDS = {
    "gross": "gross_cents",
    "hours": "hours",
    "employer_budget": "employer_budget_cents",
    "ceiling_used_elsewhere": "ceiling_used_elsewhere_cents",
}


def _invalid_input(error: Exception) -> Problem:
    assert isinstance(error, InvalidPayInput)
    return Problem(
        400, "invalid_pay_input", detail=str(error), param=f"body.{FIELDS.get(error.field, error.field)}"
    )


# Registered with the service's own problem mappers (entrypoints/definition.py).
PROBLEM_MAPPERS: dict[type[Exception], ProblemMapper] = {
    InvalidPayInput: _invalid_input,
    NoGrossForBudget: lambda error: Problem(
        400, "budget_too_small", detail=str(error), param="body.employer_budget_cents"
    ),
    NoParameters: lambda error: Problem(400, "period_not_covered", detail=str(error), param="body.period"),
}
