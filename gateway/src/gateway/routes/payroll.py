"""/v1/payroll/simulations: what a gross, or an employer budget, becomes on a payslip. Nothing is stored.

French payroll 2026 (general scheme), every line as on the clarified payslip: the member sees what a salary
budget from the activity account turns into before asking for a contract.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth.dependencies import require
from gateway.routes import dsn, payslips
from gateway.routes.upstreams import ServiceUpstreams
from gateway.upstream import passed_through
from services.http import problem_responses
from services.internal_token import Caller

router = APIRouter(tags=["payroll"])

FULL_MONTH_EXAMPLE: dict[str, Any] = {
    "period": "2026-01",
    "status": "non_cadre",
    "contract_type": "cdi",
    "headcount_band": "50_and_over",
    "accident_at_work_rate": "0.007",
    "hours": "151.67",
    "gross_cents": 200000,
}
BUDGET_EXAMPLE: dict[str, Any] = {
    "period": "2026-01",
    "status": "non_cadre",
    "contract_type": "cddu",
    "headcount_band": "50_and_over",
    "accident_at_work_rate": "0.007",
    "hours": "35",
    "days": 5,
    "ends_in_period": True,
    "employer_budget_cents": 90000,
}


class PayrollSimulationRequest(BaseModel):
    """One contract's month: its terms, and either the gross pay or the employer budget to spend."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [FULL_MONTH_EXAMPLE, BUDGET_EXAMPLE]}
    )

    period: str = Field(
        pattern=r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$", description="The pay month, YYYY-MM (from 2026-01)."
    )
    status: Literal["cadre", "non_cadre"] = Field(description="Cadre adds APEC and the cadres' prévoyance.")
    contract_type: Literal["cdi", "cdd", "cddu", "portage"]
    headcount_band: Literal["under_11", "11_to_49", "50_and_over"] = Field(
        description="The employer's headcount: FNAL, training, PEEC, forfait social, RGDU depend on it."
    )
    accident_at_work_rate: Decimal = Field(
        ge=0, lt=1, max_digits=8, description="The employer's accident-at-work rate, e.g. 0.007 for 0.70 %."
    )
    hours: Decimal = Field(
        gt=0, le=744, max_digits=8, description="Hours paid in the month (151.67 full time)."
    )
    days: int | None = Field(
        default=None,
        ge=1,
        le=31,
        description="Calendar days the contract covers in the month; null for the whole month.",
    )
    working_time_ratio: Decimal = Field(
        default=Decimal(1),
        gt=0,
        le=1,
        max_digits=8,
        description="Part time: the share of full time (ceiling).",
    )
    ends_in_period: bool = Field(
        default=False, description="The contract ends this month: a CDD's précarité, a CDD's or CDDU's ICCP."
    )
    ceiling_used_elsewhere_cents: int = Field(
        default=0,
        ge=0,
        le=10**9,
        description="Social-security ceiling already used by the person's other contracts.",
    )
    withholding_rate: Decimal | None = Field(
        default=None,
        ge=0,
        lt=1,
        max_digits=8,
        description="The employee's PAS rate; null for the neutral grid.",
    )
    intermittent: Literal["annex_8", "annex_10"] | None = Field(
        default=None, description="Intermittent du spectacle (CDDU, association employer only)."
    )
    employer_is_association: bool = False
    portage_level: Literal["junior", "senior", "forfait_jours"] | None = Field(
        default=None, description="Portage only: the minimum pay applies."
    )
    gross_cents: int | None = Field(
        default=None, ge=0, le=10**10, description="The gross pay for the work, in cents (indemnities added)."
    )
    employer_budget_cents: int | None = Field(
        default=None,
        ge=0,
        le=10**10,
        description="Instead of gross_cents: the employer cost to reach, in cents. The answer is the largest "
        "gross whose employer cost does not exceed it (unspent_cents says what is left, 0 when exact).",
    )


class PayrollEarning(BaseModel):
    code: str = Field(description="salaire_base, indemnite_precarite, iccp.")
    label: str
    amount_cents: int


class PayrollLine(BaseModel):
    code: str = Field(
        description="e.g. vieillesse_plafonnee, csg_deductible, rgdu (negative employer amount)."
    )
    label: str
    base_cents: int
    employee_rate: Decimal
    employer_rate: Decimal
    employee_cents: int
    employer_cents: int


class PayrollSimulation(BaseModel):
    period: str
    gross_cents: int = Field(description="Total gross, end-of-contract indemnities included.")
    earnings: list[PayrollEarning]
    lines: list[PayrollLine]
    ceiling_cents: int = Field(description="The social-security ceiling for the period.")
    employee_contributions_cents: int
    employer_contributions_cents: int = Field(description="After the RGDU.")
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


@router.post(
    "/v1/payroll/simulations",
    response_model=PayrollSimulation,
    summary="Simulate a payslip",
    description="Gross to net and employer cost for one contract's month, or the gross an employer budget "
    "buys (solved to the cent). Nothing is stored. A bad input is a 400 naming the field.",
    responses=problem_responses(400, 401, 403, 413),
)
async def simulate_payslip(
    body: PayrollSimulationRequest,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("payroll:simulate")],
) -> Response:
    answer = await upstreams.payroll.call(
        "POST", "/internal/payroll/simulations", caller, json=body.model_dump(mode="json", exclude_none=True)
    )
    return passed_through(answer)


router.include_router(payslips.router)  # payslips, salary payments and payment runs: one registration
router.include_router(dsn.router)
