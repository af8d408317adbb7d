"""/v1/payslips, /v1/payslip_corrections, /v1/overpayments, /v1/salary_payments, /v1/payroll/month_closes
and /v1/payment_runs: payslips issued from contracts' work (one per contract and month: a month's close, or
the completion), corrections (a new payslip; the net difference paid or to recover), their salaries scheduled
by the 7-day promise, and the daily payment run that sends them to the bank.

Registered through `gateway.routes.payroll.router` (which includes this module's router).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from gateway.auth.dependencies import require
from gateway.routes.dates import QueryDate, iso_day
from gateway.routes.upstreams import ServiceUpstreams
from gateway.upstream import passed_through, query
from services.http import problem_responses
from services.internal_token import Caller
from services.pagination import Cursor, Limit, Page

router = APIRouter(tags=["payroll"])
ETAG = {
    "ETag": {
        "description": "The payslip's version (always 1: a payslip never changes).",
        "schema": {"type": "string"},
    }
}
MONTH = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"
Reader = Annotated[Caller, require("payslips:read")]


class PayslipLine(BaseModel):
    code: str
    label: str
    base_cents: int
    employee_rate: str = Field(description="A decimal string (0.069 for 6.90 %).")
    employer_rate: str
    employee_cents: int
    employer_cents: int


class Payslip(BaseModel):
    id: UUID
    contract_id: UUID
    member_id: UUID
    employer_id: UUID
    period: str = Field(description="The month paid, YYYY-MM.")
    corrects_payslip_id: UUID | None = Field(
        description="The payslip this one corrects, null for a first one."
    )
    gross_cents: int
    net_before_tax_cents: int
    net_taxable_cents: int
    withholding_cents: int
    net_paid_cents: int
    employer_cost_cents: int
    rgdu_coefficient: str
    rgdu_cents: int
    lines: list[PayslipLine]
    issued_at: str


class SalaryPayment(BaseModel):
    payslip_id: UUID
    member_id: UUID
    net_cents: int
    last_day_worked: date
    due_on: date = Field(description="The last day worked + 7 days, the business day before if not one.")
    status: Literal["scheduled", "paid", "rejected"]
    paid_on: date | None
    on_time: bool | None
    late: bool = Field(description="Paid after its due date, or not paid and past it.")
    run_id: str | None
    rejection: str | None = Field(description="The bank's ISO 20022 reason of the last rejection.")


class PaymentRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"run_on": "2026-12-11"}]})

    run_on: Annotated[date, BeforeValidator(iso_day)] = Field(
        description="The run's date (Europe/Paris): what is due on or before it is paid."
    )


class PayslipCorrectionRequest(BaseModel):
    """The payslip corrected, why, and the inputs that change (at least one); the others stay as issued."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "payslip_id": "0197a3d0-1c2b-7a4e-9f10-3b5c7d9e1a21",
                    "reason": "Two hours worked on 3 December were not reported",
                    "gross_cents": 55500,
                    "hours": "37",
                }
            ]
        },
    )

    payslip_id: UUID = Field(description="The payslip corrected: the latest of its line (a correction once).")
    reason: str = Field(min_length=1, max_length=500, pattern=r"^[^\x00-\x1f]*$")
    gross_cents: int | None = Field(
        default=None, ge=0, description="The pay for the work, before end-of-contract indemnities."
    )
    hours: str | None = Field(default=None, pattern=r"^[0-9]{1,4}(\.[0-9]{1,2})?$", description="Hours paid.")
    status: Literal["cadre", "non_cadre"] | None = None
    headcount_band: Literal["under_11", "11_to_49", "50_and_over"] | None = None
    accident_at_work_rate: str | None = Field(default=None, pattern=r"^0(\.[0-9]{1,5})?$")
    withholding_rate: str | None = Field(default=None, pattern=r"^0(\.[0-9]{1,4})?$")


class PayslipCorrection(BaseModel):
    payslip: Payslip = Field(description="The new payslip; its corrects_payslip_id names the corrected one.")
    difference_cents: int = Field(
        description="Its net less the corrected one's: above 0 a salary payment of the difference (see "
        "/v1/salary_payments?payslip_id=), below 0 an overpayment to recover (see /v1/overpayments)."
    )


class Overpayment(BaseModel):
    payslip_id: UUID = Field(description="The correction that lowered the net salary.")
    corrects_payslip_id: UUID
    member_id: UUID
    amount_cents: int = Field(description="What was paid, or is due, beyond the corrected net.")
    status: Literal["to_recover"]
    recorded_at: datetime


class MonthCloseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"month": "2026-12"}]})

    month: str = Field(pattern=MONTH, description="The month closed, YYYY-MM.")


class MonthClose(BaseModel):
    month: str
    payslips: list[UUID] = Field(description="The payslips this close issued (none when nothing was due).")


class PaymentRun(BaseModel):
    run_id: str | None = Field(description="The payment file's message id; null when nothing was due.")
    run_on: date
    paid: list[UUID] = Field(description="The payslips whose salary the bank accepted.")
    late: list[UUID] = Field(description="Those of `paid` paid after their due date.")
    rejected: dict[UUID, str] = Field(description="Payslip -> the bank's rejection reason.")


@router.get(
    "/v1/payslips",
    response_model=Page[Payslip],
    summary="List payslips",
    description="In id order, a page at a time; filter by member, contract, employer or month.",
    responses=problem_responses(400, 401, 403),
)
async def list_payslips(
    upstreams: ServiceUpstreams,
    caller: Reader,
    limit: Limit = 10,
    cursor: Cursor = None,
    member_id: Annotated[UUID | None, Query()] = None,
    contract_id: Annotated[UUID | None, Query()] = None,
    employer_id: Annotated[UUID | None, Query()] = None,
    period: Annotated[str | None, Query(pattern=MONTH, description="The month paid, YYYY-MM.")] = None,
) -> Response:
    params = query(
        limit=limit,
        cursor=cursor,
        member_id=None if member_id is None else str(member_id),
        contract_id=None if contract_id is None else str(contract_id),
        employer_id=None if employer_id is None else str(employer_id),
        period=period,
    )
    return passed_through(await upstreams.payroll.call("GET", "/internal/payslips", caller, params=params))


@router.get(
    "/v1/payslips/{payslip_id:uuid}.pdf",
    response_class=Response,
    summary="A payslip as PDF (clarified layout)",
    responses={200: {"content": {"application/pdf": {}}}, **problem_responses(400, 401, 403, 404)},
)
async def payslip_pdf(payslip_id: UUID, upstreams: ServiceUpstreams, caller: Reader) -> Response:
    return passed_through(await upstreams.payroll.call("GET", f"/internal/payslips/{payslip_id}.pdf", caller))


@router.get(
    "/v1/payslips/{payslip_id:uuid}",
    response_model=Payslip,
    summary="Read a payslip",
    responses={200: {"headers": ETAG}, **problem_responses(400, 401, 403, 404)},
)
async def read_payslip(payslip_id: UUID, upstreams: ServiceUpstreams, caller: Reader) -> Response:
    return passed_through(await upstreams.payroll.call("GET", f"/internal/payslips/{payslip_id}", caller))


@router.get(
    "/v1/salary_payments",
    response_model=Page[SalaryPayment],
    summary="List salary payments",
    description="`state`: due (not paid yet), paid, or late (paid after the due date, or unpaid past it).",
    responses=problem_responses(400, 401, 403),
)
async def list_salary_payments(
    upstreams: ServiceUpstreams,
    caller: Reader,
    limit: Limit = 10,
    cursor: Cursor = None,
    state: Annotated[Literal["due", "paid", "late"] | None, Query()] = None,
    member_id: Annotated[UUID | None, Query()] = None,
    payslip_id: Annotated[UUID | None, Query()] = None,
    due_on: QueryDate = None,
) -> Response:
    params = query(
        limit=limit,
        cursor=cursor,
        state=state,
        member_id=None if member_id is None else str(member_id),
        payslip_id=None if payslip_id is None else str(payslip_id),
        due_on=None if due_on is None else due_on.isoformat(),
    )
    return passed_through(
        await upstreams.payroll.call("GET", "/internal/salary_payments", caller, params=params)
    )


@router.post(
    "/v1/payslip_corrections",
    status_code=201,
    response_model=PayslipCorrection,
    summary="Correct a payslip",
    description="A correction is a new payslip computed from the corrected payslip's inputs with the ones "
    "named here changed; the corrected payslip is never edited, and cannot be corrected twice (correct its "
    "correction). The net difference is scheduled as a salary payment, or recorded as an overpayment to "
    "recover. 409 when the payslip is already corrected.",
    responses=problem_responses(400, 401, 403, 404, 409, 413),
)
async def correct_payslip(
    body: PayslipCorrectionRequest,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("payments:write")],
) -> Response:
    answer = await upstreams.payroll.call(
        "POST", "/internal/payslip_corrections", caller, json=body.model_dump(mode="json", exclude_none=True)
    )
    return passed_through(answer)


@router.get(
    "/v1/overpayments",
    response_model=Page[Overpayment],
    summary="List overpayments to recover",
    description="What corrections that lowered a net salary leave to recover, in id order.",
    responses=problem_responses(400, 401, 403),
)
async def list_overpayments(
    upstreams: ServiceUpstreams,
    caller: Reader,
    limit: Limit = 10,
    cursor: Cursor = None,
    member_id: Annotated[UUID | None, Query()] = None,
    payslip_id: Annotated[UUID | None, Query()] = None,
) -> Response:
    params = query(
        limit=limit,
        cursor=cursor,
        member_id=None if member_id is None else str(member_id),
        payslip_id=None if payslip_id is None else str(payslip_id),
    )
    answer = await upstreams.payroll.call("GET", "/internal/overpayments", caller, params=params)
    return passed_through(answer)


@router.post(
    "/v1/payroll/month_closes",
    status_code=201,
    response_model=MonthClose,
    summary="Close a payroll month",
    description="Issues a payslip per contract for the work reported in the month and not paid yet "
    "(work of an earlier month reported late included) and schedules each salary by the 7-day promise; a "
    "contract's last month is paid at its completion, with the end-of-contract indemnities. Closing again "
    "issues only what was reported since.",
    responses=problem_responses(400, 401, 403, 413),
)
async def close_month(
    body: MonthCloseRequest,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("payments:write")],
) -> Response:
    answer = await upstreams.payroll.call(
        "POST", "/internal/month_closes", caller, json=body.model_dump(mode="json")
    )
    return passed_through(answer)


@router.post(
    "/v1/payment_runs",
    status_code=201,
    response_model=PaymentRun,
    summary="Run the salary payments of a day",
    description="Gathers the salaries due on or before `run_on` into one SEPA credit transfer file "
    "(pain.001.001.09, SALA), sends it to the bank and records each salary paid or rejected. A 502 when the "
    "bank fails the whole file: nothing is recorded, the salaries stay due.",
    responses=problem_responses(400, 401, 403, 413, 502),
)
async def run_payments(
    body: PaymentRunRequest,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("payments:write")],
) -> Response:
    answer = await upstreams.payroll.call(
        "POST", "/internal/payment_runs", caller, json=body.model_dump(mode="json")
    )
    return passed_through(answer)
