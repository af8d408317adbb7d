"""/internal/payslips, /internal/salary_payments, /internal/month_closes, /internal/payslip_corrections,
/internal/overpayments and /internal/payment_runs: what payroll issued and paid, a month's close (one payslip
per contract with unpaid work), corrections (a new payslip; the net difference paid or to recover) and the
payment run."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from payroll_svc.bootstrap import Payroll
from payroll_svc.documents.payslip_pdf import PayslipDocument, payslip_pdf
from payroll_svc.domain import payslips
from payroll_svc.domain.payments import BankUnavailable
from payroll_svc.domain.payroll import HeadcountBand, Status
from payroll_svc.domain.payslips import PayslipIssued
from payroll_svc.domain.payslips.correction import CorrectedInputs, NothingToCorrect
from payroll_svc.integration.identities import InvalidSiret, PersonUnknown
from payroll_svc.read_models.establishments import EstablishmentUnknown, establishment_of_contract
from services.caller import CurrentCaller, require_scope
from services.http import Problem, ProblemMapper, current_request_id
from services.pagination import Cursor, Limit, Page, page_of, uuid_after
from services.request_keys import CurrentRequestKey, id_for
from services.tenancy import tenant_transaction

router = APIRouter(prefix="/internal")
PARIS = ZoneInfo("Europe/Paris")  # business dates
MONTH = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"


class UnknownPayslip(LookupError):
    pass


class PayslipLine(BaseModel):
    code: str
    label: str
    base_cents: int
    employee_rate: str
    employer_rate: str
    employee_cents: int
    employer_cents: int


class PayslipOut(BaseModel):
    id: UUID
    contract_id: UUID
    member_id: UUID
    employer_id: UUID
    period: str
    corrects_payslip_id: UUID | None
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


class SalaryPaymentOut(BaseModel):
    payslip_id: UUID
    member_id: UUID
    net_cents: int
    last_day_worked: date
    due_on: date
    status: Literal["scheduled", "paid", "rejected"]
    paid_on: date | None
    on_time: bool | None
    late: bool
    run_id: str | None
    rejection: str | None


class MonthCloseIn(BaseModel):
    month: str = Field(pattern=MONTH)


class MonthCloseOut(BaseModel):
    month: str
    payslips: list[UUID]


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payslip_id: UUID
    reason: str = Field(min_length=1, max_length=500)
    gross_cents: int | None = Field(default=None, ge=0)
    hours: Decimal | None = Field(default=None, ge=0, max_digits=6, decimal_places=2)
    status: Literal["cadre", "non_cadre"] | None = None
    headcount_band: Literal["under_11", "11_to_49", "50_and_over"] | None = None
    accident_at_work_rate: Decimal | None = Field(default=None, ge=0, lt=1)
    withholding_rate: Decimal | None = Field(default=None, ge=0, lt=1)


class CorrectionOut(BaseModel):
    payslip: PayslipOut
    difference_cents: int


class OverpaymentOut(BaseModel):
    payslip_id: UUID
    corrects_payslip_id: UUID
    member_id: UUID
    amount_cents: int
    status: Literal["to_recover"]
    recorded_at: datetime


class PaymentRunIn(BaseModel):
    run_on: date


class PaymentRunOut(BaseModel):
    run_id: str | None
    run_on: date
    paid: list[UUID]
    late: list[UUID]
    rejected: dict[UUID, str]


def _payroll(request: Request) -> Payroll:
    service: Payroll = request.app.state.service
    return service


def _out(event: PayslipIssued) -> PayslipOut:
    return PayslipOut(
        id=event.payslip_id,
        contract_id=event.contract_id,
        member_id=event.member_id,
        employer_id=event.employer_id,
        period=f"{event.period:%Y-%m}",
        corrects_payslip_id=event.corrects_payslip_id,
        gross_cents=event.gross_cents,
        net_before_tax_cents=event.net_before_tax_cents,
        net_taxable_cents=event.net_taxable_cents,
        withholding_cents=event.withholding_cents,
        net_paid_cents=event.net_paid_cents,
        employer_cost_cents=event.employer_cost_cents,
        rgdu_coefficient=str(event.rgdu_coefficient),
        rgdu_cents=event.rgdu_cents,
        lines=[
            PayslipLine(
                **{
                    **line.model_dump(),
                    "employee_rate": str(line.employee_rate),
                    "employer_rate": str(line.employer_rate),
                }
            )
            for line in event.lines
        ],
        issued_at=event.issued_at.isoformat(),
    )


@router.get("/payslips")
async def list_payslips(
    request: Request,
    caller: CurrentCaller,
    limit: Limit = 10,
    cursor: Cursor = None,
    member_id: Annotated[UUID | None, Query()] = None,
    contract_id: Annotated[UUID | None, Query()] = None,
    employer_id: Annotated[UUID | None, Query()] = None,
    period: Annotated[str | None, Query(pattern=MONTH, description="The month paid, YYYY-MM.")] = None,
) -> Page[PayslipOut]:
    require_scope(caller, "payslips:read")
    month = None if period is None else date.fromisoformat(f"{period}-01")
    async with tenant_transaction(_payroll(request).resources.pool, caller.tenant) as conn:
        rows = await conn.fetch(
            """SELECT issued::text FROM payslips
               WHERE tenant = $1 AND ($2::uuid IS NULL OR payslip_id > $2)
                 AND ($3::uuid IS NULL OR member_id = $3) AND ($4::uuid IS NULL OR contract_id = $4)
                 AND ($5::uuid IS NULL OR employer_id = $5) AND ($6::date IS NULL OR period = $6)
               ORDER BY payslip_id LIMIT $7""",
            caller.tenant,
            uuid_after(cursor),
            member_id,
            contract_id,
            employer_id,
            month,
            limit + 1,
        )
    found = [PayslipIssued.model_validate_json(row[0]) for row in rows]
    page, has_more, next_cursor = page_of(found, limit, lambda p: {"after": str(p.payslip_id)})
    return Page[PayslipOut](data=[_out(p) for p in page], has_more=has_more, next_cursor=next_cursor)


async def _issued(request: Request, tenant: str, payslip_id: UUID) -> PayslipIssued:
    async with tenant_transaction(_payroll(request).resources.pool, tenant) as conn:
        text = await conn.fetchval(
            "SELECT issued::text FROM payslips WHERE tenant = $1 AND payslip_id = $2", tenant, payslip_id
        )
    if text is None:
        raise UnknownPayslip(f"no payslip {payslip_id}")
    return PayslipIssued.model_validate_json(text)


@router.get("/payslips/{payslip_id}.pdf", response_class=Response)
async def payslip_document(payslip_id: UUID, request: Request, caller: CurrentCaller) -> Response:
    require_scope(caller, "payslips:read")
    issued = await _issued(request, caller.tenant, payslip_id)
    async with tenant_transaction(_payroll(request).resources.pool, caller.tenant) as conn:
        employer = await establishment_of_contract(conn, caller.tenant, issued.contract_id)
    # The employee's name and address are personal data payroll does not keep: the document names them by
    # id. The employer's establishment is its public registration (ADR 024); by id for contracts before it.
    document = PayslipDocument(
        payslip_id=str(issued.payslip_id),
        employer_name=employer.legal_name if employer else f"Employeur {issued.employer_id}",
        employer_siret=employer.siret if employer else "",
        employer_address=f"{employer.street}, {employer.postal_code} {employer.city}" if employer else "",
        collective_agreement="",
        employee_name=f"Salarié {issued.member_id}",
        job_title="",
        contract=issued.contract_type.upper(),
        period_start=issued.period,
        period_end=issued.last_day_worked,
        hours=issued.hours_paid,
        paid_on=issued.last_day_worked,
        payslip=issued.payslip(),
    )
    return Response(
        payslip_pdf(document),
        media_type="application/pdf",
        headers={"ETag": '"1"', "Content-Disposition": f'inline; filename="payslip-{payslip_id}.pdf"'},
    )


@router.get("/payslips/{payslip_id}")
async def read_payslip(
    payslip_id: UUID, request: Request, caller: CurrentCaller, response: Response
) -> PayslipOut:
    require_scope(caller, "payslips:read")
    issued = await _issued(request, caller.tenant, payslip_id)
    response.headers["ETag"] = '"1"'  # a payslip never changes: a correction is another payslip
    return _out(issued)


@router.get("/salary_payments")
async def list_salary_payments(
    request: Request,
    caller: CurrentCaller,
    limit: Limit = 10,
    cursor: Cursor = None,
    state: Annotated[
        Literal["due", "paid", "late"] | None,
        Query(description="due: not paid yet; paid; late: paid after its due date, or unpaid past it."),
    ] = None,
    member_id: Annotated[UUID | None, Query()] = None,
    payslip_id: Annotated[UUID | None, Query()] = None,
    due_on: Annotated[date | None, Query()] = None,
) -> Page[SalaryPaymentOut]:
    require_scope(caller, "payslips:read")
    async with tenant_transaction(_payroll(request).resources.pool, caller.tenant) as conn:
        rows = await conn.fetch(
            """SELECT payslip_id, member_id, net_cents, last_day_worked, due_on, status, paid_on, on_time,
                      run_id, rejection,
                      (status = 'paid' AND NOT on_time)
                        OR (status <> 'paid' AND due_on < (now() AT TIME ZONE 'Europe/Paris')::date) AS late
               FROM salary_payments
               WHERE tenant = $1 AND ($2::uuid IS NULL OR payslip_id > $2)
                 AND ($3::uuid IS NULL OR member_id = $3) AND ($4::uuid IS NULL OR payslip_id = $4)
                 AND ($5::date IS NULL OR due_on = $5)
                 AND ($6::text IS NULL OR ($6 = 'due' AND status <> 'paid')
                      OR ($6 = 'paid' AND status = 'paid')
                      OR ($6 = 'late' AND ((status = 'paid' AND NOT on_time)
                          OR (status <> 'paid' AND due_on < (now() AT TIME ZONE 'Europe/Paris')::date))))
               ORDER BY payslip_id LIMIT $7""",
            caller.tenant,
            uuid_after(cursor),
            member_id,
            payslip_id,
            due_on,
            state,
            limit + 1,
        )
    found = [SalaryPaymentOut(**dict(row)) for row in rows]
    page, has_more, next_cursor = page_of(found, limit, lambda p: {"after": str(p.payslip_id)})
    return Page[SalaryPaymentOut](data=page, has_more=has_more, next_cursor=next_cursor)


@router.post("/month_closes", status_code=201)
async def close_month(body: MonthCloseIn, request: Request, caller: CurrentCaller) -> MonthCloseOut:
    require_scope(caller, "payments:write")
    month = date.fromisoformat(f"{body.month}-01")
    correlation_id = current_request_id() or None
    issued = await _payroll(request).close_month(month, tenant=caller.tenant, correlation_id=correlation_id)
    return MonthCloseOut(month=body.month, payslips=issued)


@router.post("/payslip_corrections", status_code=201)
async def correct_payslip(
    body: CorrectionIn, request: Request, caller: CurrentCaller, request_key: CurrentRequestKey
) -> CorrectionOut:
    require_scope(caller, "payments:write")
    changes = CorrectedInputs(
        gross_pay_cents=body.gross_cents,
        hours_paid=body.hours,
        status=None if body.status is None else Status(body.status),
        headcount=None if body.headcount_band is None else HeadcountBand(body.headcount_band),
        accident_at_work_rate=body.accident_at_work_rate,
        withholding_rate=body.withholding_rate,
    )
    correction = await _payroll(request).correct_payslip(
        body.payslip_id,
        body.reason,
        changes,
        correction_id=id_for(request_key, "payslip correction"),
        tenant=caller.tenant,
        correlation_id=current_request_id() or None,
    )
    return CorrectionOut(payslip=_out(correction.payslip), difference_cents=correction.difference_cents)


@router.get("/overpayments")
async def list_overpayments(
    request: Request,
    caller: CurrentCaller,
    limit: Limit = 10,
    cursor: Cursor = None,
    member_id: Annotated[UUID | None, Query()] = None,
    payslip_id: Annotated[UUID | None, Query()] = None,
) -> Page[OverpaymentOut]:
    require_scope(caller, "payslips:read")
    async with tenant_transaction(_payroll(request).resources.pool, caller.tenant) as conn:
        rows = await conn.fetch(
            """SELECT payslip_id, corrects_payslip_id, member_id, amount_cents, status, recorded_at
               FROM overpayments
               WHERE tenant = $1 AND ($2::uuid IS NULL OR payslip_id > $2)
                 AND ($3::uuid IS NULL OR member_id = $3) AND ($4::uuid IS NULL OR payslip_id = $4)
               ORDER BY payslip_id LIMIT $5""",
            caller.tenant,
            uuid_after(cursor),
            member_id,
            payslip_id,
            limit + 1,
        )
    found = [OverpaymentOut(**dict(row)) for row in rows]
    page, has_more, next_cursor = page_of(found, limit, lambda o: {"after": str(o.payslip_id)})
    return Page[OverpaymentOut](data=page, has_more=has_more, next_cursor=next_cursor)


@router.get("/dsn/{siret}/{month}", response_class=Response)
async def monthly_dsn(siret: str, month: str, request: Request, caller: CurrentCaller) -> Response:
    """The establishment's DSN of the month (flat format). It names people: the personal data scope too."""
    require_scope(caller, "payslips:read")
    require_scope(caller, "members:personal_data:read")
    if not re.fullmatch(MONTH, month):
        raise Problem(400, "invalid_month", detail="the month is YYYY-MM", param="path.month")
    made_on = datetime.now(UTC).astimezone(PARIS).date()
    text = await _payroll(request).dsn(caller.tenant, siret, date.fromisoformat(f"{month}-01"), made_on)
    return Response(
        text,
        media_type="text/plain; charset=utf-8",
        headers={
            "Cache-Control": "no-store",  # it names people: no cache keeps it (ADR 007)
            "Content-Disposition": f'attachment; filename="dsn-{siret}-{month}.txt"',
        },
    )


@router.post("/payment_runs", status_code=201)
async def run_payments(
    body: PaymentRunIn, request: Request, caller: CurrentCaller, request_key: CurrentRequestKey
) -> PaymentRunOut:
    require_scope(caller, "payments:write")
    outcome = await _payroll(request).run_payments(
        body.run_on,
        tenant=caller.tenant,
        correlation_id=current_request_id() or None,
        request_key=request_key,
    )
    return PaymentRunOut(
        run_id=outcome.run_id,
        run_on=outcome.run_on,
        paid=outcome.paid,
        late=outcome.late,
        rejected=outcome.rejected,
    )


PROBLEM_MAPPERS: dict[type[Exception], ProblemMapper] = {
    UnknownPayslip: lambda error: Problem(404, "payslip_not_found", detail=str(error)),
    payslips.UnknownPayslip: lambda error: Problem(
        404, "payslip_not_found", detail=str(error), param="body.payslip_id"
    ),
    payslips.PayslipAlreadyCorrected: lambda error: Problem(
        409, "payslip_already_corrected", detail=str(error)
    ),
    payslips.NotCorrectable: lambda error: Problem(409, "payslip_not_correctable", detail=str(error)),
    NothingToCorrect: lambda error: Problem(400, "nothing_to_correct", detail=str(error), param="body"),
    InvalidSiret: lambda error: Problem(400, "invalid_siret", detail=str(error), param="path.siret"),
    EstablishmentUnknown: lambda error: Problem(
        404, "establishment_unknown", detail=str(error), param="path.siret"
    ),
    PersonUnknown: lambda error: Problem(409, "dsn_person_unknown", detail=str(error)),
    BankUnavailable: lambda error: Problem(502, "bank_unavailable", detail=str(error)),
}
