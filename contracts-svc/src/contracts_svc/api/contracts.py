"""Contracts: draft, list, read, and each move of the lifecycle (internal API, called by the gateway only).

Commands answer from the aggregate they leave (ETag = its version); the list reads the directory projection,
which may lag a moment behind.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from contracts_svc.api.dto import (
    AmendmentIn,
    CancellationIn,
    CompletionIn,
    ContractDraft,
    ContractOut,
    ContractSummary,
    HireDeclarationIn,
    Lifecycle,
    QueryDate,
    RenewalIn,
    WorkReportIn,
    contract_out,
    summary_out,
)
from contracts_svc.bootstrap import Contracts, UnknownEmployee
from contracts_svc.domain import contracts
from contracts_svc.domain.contracts import Contract
from contracts_svc.domain.contracts.hire_declaration import EmployeeIdentity, TransientDeclarationFailure
from contracts_svc.domain.contracts.rules import (
    BudgetReservationPending,
    ContractAlreadyExists,
    ContractRuleBroken,
    HireDeclarationLate,
    HireDeclarationRefusedByUrssaf,
    HireDeclarationTooEarly,
    InvalidContractField,
    LifecycleRefused,
    UnknownContract,
    WorkingTimeExceeded,
)
from contracts_svc.domain.contracts.tables import ContractType, NoRuleInForce
from contracts_svc.read_models.contract_directory import ContractFilter, list_contracts
from services.caller import CurrentCaller, require_scope
from services.http import Problem, ProblemMapper, current_request_id
from services.http.preconditions import etag, expected_version, precondition
from services.pagination import Cursor, Limit, Page, page_of, uuid_after
from services.request_keys import CurrentRequestKey, id_for
from services.tenancy import tenant_transaction

router = APIRouter(prefix="/internal")
IfMatch = Annotated[str | None, Header()]


async def _contracts(request: Request) -> Contracts:  # async: no worker-thread hop
    service: Contracts = request.app.state.service
    return service


ContractsDep = Annotated[Contracts, Depends(_contracts)]


def _answer(response: Response, version: int, contract: Contract) -> ContractOut:
    response.headers["ETag"] = etag(version)
    return contract_out(contract)


def draft_command(body: ContractDraft, contract_id: UUID, tenant: str) -> contracts.DraftContract:
    return contracts.DraftContract(
        contract_id=contract_id,
        tenant=tenant,
        member_id=body.member_id,
        employer=contracts.Employer(employer_id=body.employer.id, **body.employer.model_dump(exclude={"id"})),
        contract_type=body.contract_type,
        job_title=body.job_title,
        starts_at=body.starts_at,
        ends_on=body.ends_on,
        working_time=body.working_time,
        weekly_hours=body.weekly_hours,
        pay=contracts.Pay(basis=body.pay.basis, amount_cents=body.pay.amount_cents),
        status=body.employee_status,
        now=datetime.now(UTC),
        sector=body.sector,
        reason=body.reason,
        portage_level=body.portage_level,
        trial_period_days=body.trial_period_days,
        activity_id=body.activity_id,
    )


@router.post("/contracts", status_code=201)
async def draft_contract(
    body: ContractDraft,
    caller: CurrentCaller,
    service: ContractsDep,
    response: Response,
    request_key: CurrentRequestKey,
) -> ContractOut:
    require_scope(caller, "contracts:write")
    command = draft_command(body, id_for(request_key, "contract"), caller.tenant)
    version, contract = await service.draft(command, tenant=caller.tenant, correlation_id=_correlation())
    response.headers["Location"] = f"/v1/contracts/{contract.contract_id}"
    return _answer(response, version, contract)


@router.get("/contracts")
async def list_all(
    caller: CurrentCaller,
    service: ContractsDep,
    limit: Limit = 10,
    cursor: Cursor = None,
    member_id: Annotated[UUID | None, Query()] = None,
    employer_id: Annotated[UUID | None, Query()] = None,
    status: Annotated[Lifecycle | None, Query()] = None,
    contract_type: Annotated[ContractType | None, Query()] = None,
    period_from: QueryDate = None,
    period_to: QueryDate = None,
) -> Page[ContractSummary]:
    require_scope(caller, "contracts:read")
    filters = ContractFilter(member_id, employer_id, status, contract_type, period_from, period_to)
    async with tenant_transaction(service.resources.pool, caller.tenant) as conn:
        found = await list_contracts(conn, caller.tenant, filters, after=uuid_after(cursor), limit=limit + 1)
    page, has_more, next_cursor = page_of(found, limit, lambda c: {"after": str(c.contract_id)})
    return Page[ContractSummary](
        data=[summary_out(c) for c in page], has_more=has_more, next_cursor=next_cursor
    )


@router.get("/contracts/{contract_id}")
async def read_contract(
    contract_id: UUID, caller: CurrentCaller, service: ContractsDep, response: Response
) -> ContractOut:
    require_scope(caller, "contracts:read")
    version, state = await service.read(contract_id, tenant=caller.tenant)
    if not isinstance(state, Contract):
        raise UnknownContract(f"no contract {contract_id}")
    return _answer(response, version, state)


@router.post("/contracts/{contract_id}/hire_declaration")
async def declare_hire(
    contract_id: UUID,
    body: HireDeclarationIn,
    caller: CurrentCaller,
    service: ContractsDep,
    response: Response,
    if_match: IfMatch = None,
) -> ContractOut:
    require_scope(caller, "contracts:write")
    expected = expected_version(if_match)
    with precondition(expected, "contract"):
        version, contract = await service.declare_hire(
            contract_id,
            EmployeeIdentity(**body.employee.model_dump()),
            now=datetime.now(UTC),
            tenant=caller.tenant,
            correlation_id=_correlation(),
            expected_version=expected,
        )
    return _answer(response, version, contract)


@router.post("/contracts/{contract_id}/work_reports")
async def report_work(
    contract_id: UUID,
    body: WorkReportIn,
    caller: CurrentCaller,
    service: ContractsDep,
    response: Response,
    request_key: CurrentRequestKey,
    if_match: IfMatch = None,
) -> ContractOut:
    require_scope(caller, "contracts:write")
    expected = expected_version(if_match)
    periods = tuple(contracts.WorkPeriod(starts_at=p.starts_at, ends_at=p.ends_at) for p in body.periods)
    with precondition(expected, "contract"):
        version, contract = await service.report_work(
            contract_id,
            periods,
            report_id=id_for(request_key, "work report"),
            now=datetime.now(UTC),
            tenant=caller.tenant,
            correlation_id=_correlation(),
            expected_version=expected,
        )
    return _answer(response, version, contract)


async def _act(
    service: Contracts,
    command: contracts.ContractCommand,
    caller: CurrentCaller,
    response: Response,
    if_match: str | None,
) -> ContractOut:
    require_scope(caller, "contracts:write")
    expected = expected_version(if_match)
    with precondition(expected, "contract"):
        version, contract = await service.move(
            command, tenant=caller.tenant, correlation_id=_correlation(), expected_version=expected
        )
    return _answer(response, version, contract)


@router.post("/contracts/{contract_id}/signature")
async def sign_contract(
    contract_id: UUID,
    caller: CurrentCaller,
    service: ContractsDep,
    response: Response,
    if_match: IfMatch = None,
) -> ContractOut:
    return await _act(
        service, contracts.SignContract(contract_id, datetime.now(UTC)), caller, response, if_match
    )


@router.post("/contracts/{contract_id}/renewal")
async def renew_contract(
    contract_id: UUID,
    body: RenewalIn,
    caller: CurrentCaller,
    service: ContractsDep,
    response: Response,
    request_key: CurrentRequestKey,
    if_match: IfMatch = None,
) -> ContractOut:
    renewal_id = id_for(request_key, "renewal")
    command = contracts.RenewContract(contract_id, renewal_id, body.ends_on, body.reason, datetime.now(UTC))
    return await _act(service, command, caller, response, if_match)


@router.post("/contracts/{contract_id}/amendment")
async def amend_contract(
    contract_id: UUID,
    body: AmendmentIn,
    caller: CurrentCaller,
    service: ContractsDep,
    response: Response,
    request_key: CurrentRequestKey,
    if_match: IfMatch = None,
) -> ContractOut:
    command = contracts.AmendContract(
        contract_id,
        id_for(request_key, "amendment"),
        reason=body.reason,
        now=datetime.now(UTC),
        job_title=body.job_title,
        working_time=body.working_time,
        weekly_hours=body.weekly_hours,
        pay=None
        if body.pay is None
        else contracts.Pay(basis=body.pay.basis, amount_cents=body.pay.amount_cents),
    )
    return await _act(service, command, caller, response, if_match)


@router.post("/contracts/{contract_id}/completion")
async def complete_contract(
    contract_id: UUID,
    body: CompletionIn,
    caller: CurrentCaller,
    service: ContractsDep,
    response: Response,
    if_match: IfMatch = None,
) -> ContractOut:
    command = contracts.CompleteContract(contract_id, body.completed_on, datetime.now(UTC))
    return await _act(service, command, caller, response, if_match)


@router.post("/contracts/{contract_id}/cancellation")
async def cancel_contract(
    contract_id: UUID,
    body: CancellationIn,
    caller: CurrentCaller,
    service: ContractsDep,
    response: Response,
    if_match: IfMatch = None,
) -> ContractOut:
    command = contracts.CancelContract(contract_id, body.reason, datetime.now(UTC))
    return await _act(service, command, caller, response, if_match)


def _correlation() -> str:
    return current_request_id() or ""


def _invalid(error: Exception) -> Problem:
    assert isinstance(error, InvalidContractField)
    return Problem(400, "invalid_contract", detail=str(error), param=f"body.{error.field}")


def _rule(error: Exception) -> Problem:
    assert isinstance(error, ContractRuleBroken)
    param = None if error.field is None else f"body.{error.field}"
    return Problem(422, f"contract_rule_{error.rule}", detail=str(error), param=param)


def _working_time(error: Exception) -> Problem:
    assert isinstance(error, WorkingTimeExceeded)
    return Problem(422, f"working_time_{error.limit}", detail=str(error), param="body.periods")


# Registered with the service's problem mappers (entrypoints/definition.py).
PROBLEM_MAPPERS: dict[type[Exception], ProblemMapper] = {
    InvalidContractField: _invalid,
    ContractRuleBroken: _rule,
    WorkingTimeExceeded: _working_time,
    ContractAlreadyExists: lambda error: Problem(409, "contract_already_exists", detail=str(error)),
    UnknownContract: lambda error: Problem(404, "contract_not_found", detail=str(error)),
    UnknownEmployee: lambda error: Problem(409, "employee_unknown", detail=str(error)),
    LifecycleRefused: lambda error: Problem(409, "contract_lifecycle_refused", detail=str(error)),
    BudgetReservationPending: lambda error: Problem(409, "budget_reservation_pending", detail=str(error)),
    HireDeclarationTooEarly: lambda error: Problem(409, "hire_declaration_too_early", detail=str(error)),
    HireDeclarationLate: lambda error: Problem(409, "hire_declaration_late", detail=str(error)),
    HireDeclarationRefusedByUrssaf: lambda error: Problem(422, "hire_declaration_refused", detail=str(error)),
    TransientDeclarationFailure: lambda error: Problem(
        503, "hire_declaration_unavailable", detail=f"{error}; the contract is unchanged, send it again"
    ),
    NoRuleInForce: lambda error: Problem(422, "no_rule_in_force", detail=str(error)),
}
