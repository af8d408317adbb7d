"""/v1/contracts: draft an employment contract, list and read contracts, and move them through their life.

drafted -> hire_declared (the DPAE, acknowledged by URSSAF) -> signed -> work reported -> completed; cancelled
(before any work), renewed or amended with a reason. contracts-svc checks each type's rules (CDDU sectors,
CDD reasons and limits, portage minimum pay, CAPE duration...) and the working-time limits across all of the
person's employers; a broken rule is a 422 whose `code` names it. Commands take `If-Match` (the ETag of a
read, i.e. the contract's version) and answer the contract with its new ETag.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth.dependencies import require
from gateway.routes.dates import QueryDate
from gateway.routes.upstreams import ServiceUpstreams
from gateway.upstream import passed_through, query
from services.http import problem_responses
from services.internal_token import Caller
from services.pagination import Cursor, Limit, Page

router = APIRouter(prefix="/v1/contracts", tags=["contracts"])

ContractType = Literal["cddu", "cdd", "cdi", "portage", "cae", "cape"]
Status = Literal["drafted", "hire_declared", "signed", "completed", "cancelled"]
ETAG = {"ETag": {"description": "The contract's version, for If-Match.", "schema": {"type": "string"}}}
IfMatch = Annotated[str | None, Header(max_length=64, description="The ETag of the version to change.")]


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(examples)})


class Employer(BaseModel):
    """The legal employer as the DPAE names it: the cooperative itself or an employer structure."""

    model_config = ConfigDict(extra="forbid")

    id: UUID = Field(
        description="The cooperative's id or the employer structure's (/v1/employer_structures)."
    )
    kind: Literal["cooperative", "association", "company", "public_body", "other"]
    legal_name: str = Field(min_length=1, max_length=200)
    siret: str = Field(min_length=14, max_length=32, description="14 digits; its key is checked.")
    ape_code: str = Field(min_length=4, max_length=8, description="The APE (NAF) code, e.g. 90.01Z.")
    street: str = Field(min_length=1, max_length=200)
    postal_code: str = Field(min_length=1, max_length=16)
    city: str = Field(min_length=1, max_length=100)
    occupational_health_service: str = Field(
        min_length=1, max_length=200, description="The occupational-health service (DPAE, R1221-1)."
    )


class Pay(BaseModel):
    model_config = ConfigDict(extra="forbid")

    basis: Literal["hourly", "monthly", "none"] = Field(description="`none` for a CAPE only (no salary).")
    amount_cents: int = Field(
        ge=0, le=100_000_000, description="Gross, in euro cents, per hour or per month."
    )


EMPLOYER_EXAMPLE = {
    "id": "5b0c3f9e-2d7a-5e41-9c8b-1f6a2e4d7c30",
    "kind": "association",
    "legal_name": "Les Ateliers du Spectacle",
    "siret": "73282932000074",
    "ape_code": "90.01Z",
    "street": "12 rue des Arts",
    "postal_code": "75011",
    "city": "Paris",
    "occupational_health_service": "CMB Paris",
}


class ContractDraft(BaseModel):
    """A contract between a member and an employer; the rules of its type are checked now."""

    model_config = _examples(
        {
            "member_id": "0197a3c2-5b1e-7c3d-9a4f-2e6b8d1c0f57",
            "employer": EMPLOYER_EXAMPLE,
            "contract_type": "cddu",
            "job_title": "Régisseur son",
            "sector": "spectacle",
            "starts_at": "2027-03-01T08:00:00Z",
            "ends_on": "2027-03-05",
            "pay": {"basis": "hourly", "amount_cents": 1500},
        }
    )

    member_id: UUID = Field(description="The employee: a member of the cooperative.")
    employer: Employer
    contract_type: ContractType = Field(
        description="cddu (CDD d'usage), cdd, cdi, portage, cae (entrepreneur-salarié), cape."
    )
    job_title: str = Field(
        min_length=1, max_length=200, description="The post (a CDD's waiting period is per post)."
    )
    sector: str | None = Field(
        default=None, max_length=64, description="Required for a CDDU: a sector of D1242-1, e.g. `spectacle`."
    )
    reason: str | None = Field(
        default=None,
        max_length=64,
        description="Required for a CDD: replacement, temporary_increase, seasonal or employment_policy.",
    )
    starts_at: datetime = Field(
        description="The hiring day and hour, with its offset (the DPAE declares both)."
    )
    ends_on: date | None = Field(default=None, description="The end; none for a CDI or a CAE contract.")
    working_time: Literal["full_time", "part_time"] = "full_time"
    weekly_hours: Decimal = Field(default=Decimal(35), gt=0, le=48, max_digits=4, decimal_places=2)
    pay: Pay
    employee_status: Literal["cadre", "non_cadre"] = "non_cadre"
    portage_level: Literal["junior", "senior", "forfait_jours"] | None = Field(
        default=None, description="Portage only: decides the minimum pay."
    )
    trial_period_days: int = Field(default=0, ge=0, le=365)
    activity_id: UUID | None = Field(
        default=None,
        description="A contract of a member's activity (production de projets): its employer cost (planned "
        "gross and employer contributions) is reserved on the activity account. The contract is drafted with "
        "`budget_reservation.status` `pending` until billing answers: accepted, or refused and the contract "
        "cancelled (`cancel_reason` `activity_budget: ...`). Its DPAE and signature wait for the acceptance "
        "(409 `budget_reservation_pending` meanwhile): read the contract until it is accepted.",
    )


class EmployeeIdentity(BaseModel):
    """What the DPAE names of the employee; sent to URSSAF and not stored by the contracts service."""

    model_config = ConfigDict(extra="forbid")

    last_name: str = Field(min_length=1, max_length=80)
    first_names: str = Field(min_length=1, max_length=80)
    sex: Literal["F", "M"]
    birth_date: date
    birth_place: str = Field(min_length=1, max_length=80, description="Commune, or country if born abroad.")
    birth_department: str | None = Field(default=None, max_length=3, description="`99` abroad, `2A`/`2B`...")
    nir: str | None = Field(
        default=None, max_length=21, description="The NIR if known (checked with its key)."
    )


class HireDeclaration(BaseModel):
    """Send the DPAE now: from 8 days before the hiring hour and before it (late: refused and flagged)."""

    model_config = _examples(
        {
            "employee": {
                "last_name": "Garnier",
                "first_names": "Léa",
                "sex": "F",
                "birth_date": "1995-10-03",
                "birth_place": "Paris",
                "birth_department": "75",
                "nir": "295107512611162",
            }
        }
    )

    employee: EmployeeIdentity


class WorkPeriod(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: datetime = Field(description="With its offset.")
    ends_at: datetime


class WorkReport(BaseModel):
    """Work done under a signed contract; refused when it breaks 10 h a day, 48 h a week, 44 h on average over
    12 weeks, the 11 h daily rest or the 35 h weekly rest, counting the person's work at every employer."""

    model_config = _examples(
        {"periods": [{"starts_at": "2027-03-01T08:00:00Z", "ends_at": "2027-03-01T15:00:00Z"}]}
    )

    periods: list[WorkPeriod] = Field(min_length=1, max_length=62)


class Renewal(BaseModel):
    model_config = _examples({"ends_on": "2027-03-12", "reason": "the tour is extended"})

    ends_on: date
    reason: str = Field(min_length=1, max_length=500)


class Amendment(BaseModel):
    model_config = _examples(
        {"reason": "new collective agreement", "pay": {"basis": "hourly", "amount_cents": 1600}}
    )

    reason: str = Field(min_length=1, max_length=500)
    job_title: str | None = Field(default=None, min_length=1, max_length=200)
    working_time: Literal["full_time", "part_time"] | None = None
    weekly_hours: Decimal | None = Field(default=None, gt=0, le=48, max_digits=4, decimal_places=2)
    pay: Pay | None = None


class Completion(BaseModel):
    model_config = _examples({"completed_on": "2027-03-05"})

    completed_on: date = Field(description="The last day of the contract (not before the last day worked).")


class Cancellation(BaseModel):
    model_config = _examples({"reason": "the show was called off"})

    reason: str = Field(min_length=1, max_length=500)


class EmployerOut(BaseModel):
    id: UUID
    kind: str
    legal_name: str
    siret: str
    ape_code: str
    street: str
    postal_code: str
    city: str
    occupational_health_service: str


class PayOut(BaseModel):
    basis: str
    amount_cents: int


class HireDeclarationOut(BaseModel):
    acknowledgement_id: str | None = Field(description="URSSAF's acknowledgement of the DPAE, once declared.")
    late_attempt_flagged: bool = Field(description="A DPAE was attempted at or after the hiring hour.")
    refusals: int = Field(description="How many times URSSAF refused the DPAE.")


class Contract(BaseModel):
    id: UUID
    object: Literal["contract"] = "contract"
    member_id: UUID
    employer: EmployerOut
    contract_type: ContractType
    job_title: str
    sector: str | None
    reason: str | None
    starts_at: datetime
    ends_on: date | None
    working_time: str
    weekly_hours: str
    pay: PayOut
    employee_status: str
    portage_level: str | None
    trial_period_days: int
    associate_by: date | None = Field(description="CAE: the day the entrepreneur-salarié is an associate by.")
    status: Status
    hire_declaration: HireDeclarationOut
    signed_within_legal_delay: bool | None
    renewals: int
    minutes_worked: int
    hours_worked: str
    days_worked: int
    completed_on: date | None
    drafted_at: datetime
    cancel_reason: str | None = Field(
        default=None, description="Why it was cancelled (activity_budget: the activity account refused)."
    )
    budget_reservation: BudgetReservation | None = Field(
        default=None,
        description="A member's activity contract: the employer cost reserved on the activity account; "
        "pending until billing answers, then accepted, or refused and the contract cancelled (ADR 016). "
        "Its amount grows with each renewal or amendment whose extra cost billing accepted (ADR 026).",
    )
    budget_change: BudgetChange | None = Field(
        default=None,
        description="A member's activity contract: its last renewal or amendment that cost more than "
        "reserved (ADR 026). `pending`: not in force yet, billing has not answered; `accepted`: in force; "
        "`refused`: dropped, the contract is as it was (`available_cents` says what the account had).",
    )


class BudgetReservation(BaseModel):
    activity_id: UUID
    amount_cents: int
    status: Literal["accepted", "pending", "refused"]


class BudgetChange(BaseModel):
    kind: Literal["renewal", "amendment"]
    reservation_id: UUID = Field(description="The extra cost's reservation, derived from the change.")
    amount_cents: int = Field(description="The extra employer cost asked of the activity account.")
    status: Literal["accepted", "pending", "refused"]
    available_cents: int | None = Field(description="The account's available budget, given with a refusal.")


class ContractSummary(BaseModel):
    id: UUID
    object: Literal["contract"] = "contract"
    member_id: UUID
    employer_id: UUID
    employer_kind: str
    employer_name: str
    contract_type: ContractType
    job_title: str
    sector: str | None
    starts_at: datetime
    ends_on: date | None
    status: Status
    acknowledgement_id: str | None
    late_declaration: bool
    hours_worked: str
    days_worked: int
    completed_on: date | None


COMMAND_ERRORS = problem_responses(400, 401, 403, 404, 409, 412, 422)


@router.post(
    "",
    status_code=201,
    response_model=Contract,
    summary="Draft a contract",
    responses={201: {"headers": ETAG}, **problem_responses(400, 401, 403, 413, 422)},
)
async def draft_contract(
    body: ContractDraft, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("contracts:write")]
) -> Response:
    answer = await upstreams.contracts.call(
        "POST", "/internal/contracts", caller, json=body.model_dump(mode="json")
    )
    return passed_through(answer)


@router.get(
    "",
    response_model=Page[ContractSummary],
    summary="List contracts",
    description="In the order they were drafted, a page at a time; `period_from`/`period_to` keep the "
    "contracts running on some day of the period.",
    responses=problem_responses(400, 401, 403),
)
async def list_contracts(
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("contracts:read")],
    limit: Limit = 10,
    cursor: Cursor = None,
    member_id: Annotated[UUID | None, Query()] = None,
    employer_id: Annotated[UUID | None, Query()] = None,
    status: Annotated[Status | None, Query()] = None,
    contract_type: Annotated[ContractType | None, Query()] = None,
    period_from: QueryDate = None,
    period_to: QueryDate = None,
) -> Response:
    params = query(
        limit=limit,
        cursor=cursor,
        member_id=None if member_id is None else str(member_id),
        employer_id=None if employer_id is None else str(employer_id),
        status=status,
        contract_type=contract_type,
        period_from=None if period_from is None else period_from.isoformat(),
        period_to=None if period_to is None else period_to.isoformat(),
    )
    answer = await upstreams.contracts.call("GET", "/internal/contracts", caller, params=params)
    return passed_through(answer)


@router.get(
    "/{contract_id}",
    response_model=Contract,
    summary="Read a contract",
    responses={200: {"headers": ETAG}, **problem_responses(400, 401, 403, 404)},
)
async def read_contract(
    contract_id: UUID, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("contracts:read")]
) -> Response:
    return passed_through(await upstreams.contracts.call("GET", f"/internal/contracts/{contract_id}", caller))


BUDGET_CHANGE = (
    "A contract of an activity asks its account for the extra employer cost first (ADR 026): beyond the "
    "available budget it is a 422 `contract_rule_activity_budget` and nothing changes; pending, the change "
    "is recorded with `budget_change.status` `pending` and takes effect once billing accepts (dropped if "
    "it refuses); meanwhile another renewal or amendment, or the completion, is a 409 "
    "`budget_reservation_pending`. A change that costs less keeps the reservation until the payslip."
)


async def _command(
    upstreams: ServiceUpstreams,
    caller: Caller,
    contract_id: UUID,
    action: str,
    body: BaseModel | None,
    if_match: str | None,
) -> Response:
    answer = await upstreams.contracts.call(
        "POST",
        f"/internal/contracts/{contract_id}/{action}",
        caller,
        json=None if body is None else body.model_dump(mode="json", exclude_none=True),
        if_match=if_match,
    )
    return passed_through(answer)


@router.post(
    "/{contract_id}/hire_declaration",
    response_model=Contract,
    summary="Declare the hire (DPAE)",
    description="Sends the DPAE with the employee's identity (not stored here) and keeps URSSAF's "
    "acknowledgement. Refused more than 8 days before the hiring hour; at or after it, refused and flagged "
    "(`hire_declaration_late`); URSSAF's refusal is a 422 `hire_declaration_refused`. A contract of an "
    "activity whose budget reservation is still pending is refused, nothing sent (409 "
    "`budget_reservation_pending`): read the contract until the reservation is accepted, then declare.",
    responses={200: {"headers": ETAG}, **COMMAND_ERRORS, **problem_responses(503)},
)
async def declare_hire(
    contract_id: UUID,
    body: HireDeclaration,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("contracts:write")],
    if_match: IfMatch = None,
) -> Response:
    return await _command(upstreams, caller, contract_id, "hire_declaration", body, if_match)


@router.post(
    "/{contract_id}/signature",
    response_model=Contract,
    summary="Sign the contract",
    description="After the DPAE acknowledgement (a CAPE needs none), and for a contract of an activity "
    "once billing accepted its budget reservation (409 `budget_reservation_pending` before).",
    responses={200: {"headers": ETAG}, **COMMAND_ERRORS},
)
async def sign_contract(
    contract_id: UUID,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("contracts:write")],
    if_match: IfMatch = None,
) -> Response:
    return await _command(upstreams, caller, contract_id, "signature", None, if_match)


@router.post(
    "/{contract_id}/work_reports",
    response_model=Contract,
    summary="Report work",
    description="Refused with `working_time_daily_maximum`, `working_time_weekly_maximum`, "
    "`working_time_average_weekly_maximum`, `working_time_daily_rest` or `working_time_weekly_rest` when the "
    "person's work at all their employers would break that limit.",
    responses={200: {"headers": ETAG}, **COMMAND_ERRORS},
)
async def report_work(
    contract_id: UUID,
    body: WorkReport,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("contracts:write")],
    if_match: IfMatch = None,
) -> Response:
    return await _command(upstreams, caller, contract_id, "work_reports", body, if_match)


@router.post(
    "/{contract_id}/renewal",
    response_model=Contract,
    summary="Renew the contract",
    description="Before its term, within its type's limits (a CDD: twice, 18 months in all). "
    + BUDGET_CHANGE,
    responses={200: {"headers": ETAG}, **COMMAND_ERRORS},
)
async def renew_contract(
    contract_id: UUID,
    body: Renewal,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("contracts:write")],
    if_match: IfMatch = None,
) -> Response:
    return await _command(upstreams, caller, contract_id, "renewal", body, if_match)


@router.post(
    "/{contract_id}/amendment",
    response_model=Contract,
    summary="Amend the contract",
    description="Its job title, working time and hours, or pay. " + BUDGET_CHANGE,
    responses={200: {"headers": ETAG}, **COMMAND_ERRORS},
)
async def amend_contract(
    contract_id: UUID,
    body: Amendment,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("contracts:write")],
    if_match: IfMatch = None,
) -> Response:
    return await _command(upstreams, caller, contract_id, "amendment", body, if_match)


@router.post(
    "/{contract_id}/completion",
    response_model=Contract,
    summary="Complete the contract",
    responses={200: {"headers": ETAG}, **COMMAND_ERRORS},
)
async def complete_contract(
    contract_id: UUID,
    body: Completion,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("contracts:write")],
    if_match: IfMatch = None,
) -> Response:
    return await _command(upstreams, caller, contract_id, "completion", body, if_match)


@router.post(
    "/{contract_id}/cancellation",
    response_model=Contract,
    summary="Cancel the contract",
    description="With a reason, until work is reported under it.",
    responses={200: {"headers": ETAG}, **COMMAND_ERRORS},
)
async def cancel_contract(
    contract_id: UUID,
    body: Cancellation,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("contracts:write")],
    if_match: IfMatch = None,
) -> Response:
    return await _command(upstreams, caller, contract_id, "cancellation", body, if_match)
