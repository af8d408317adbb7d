"""Hires pushed by associations, as the gateway hands them over: each becomes a contract (drafted, declared,
signed) with the association as employer, or a rejection with the codes the contracts API would give.

Idempotent per hire id: the contract id is derived from it and each step resumes from the contract's state,
so a redelivered batch, or one processed again after a crash, creates nothing new.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from contracts_svc.api.contracts import PROBLEM_MAPPERS, ContractsDep, draft_command
from contracts_svc.api.dto import ContractDraft, EmployeeIdentityIn
from contracts_svc.bootstrap import Contracts
from contracts_svc.bootstrap_hires import HireOutcomes
from contracts_svc.domain import hires
from contracts_svc.domain.contracts import Contract
from contracts_svc.domain.contracts.hire_declaration import EmployeeIdentity
from contracts_svc.domain.hires import (
    HireAccepted,
    HireEvent,
    HireRejected,
    Outcome,
    RecordHireOutcome,
    Rejection,
)
from services.caller import CurrentCaller, require_scope
from services.http import Problem, current_request_id

router = APIRouter(prefix="/internal")


class HireIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contract: ContractDraft
    employee: EmployeeIdentityIn


class HireOut(BaseModel):
    id: UUID
    object: Literal["hire"] = "hire"
    status: Literal["accepted", "rejected"]
    contract_id: UUID | None
    employer_id: UUID
    reasons: list[dict[str, str | None]] = Field(default_factory=list)
    decided_at: datetime


async def _outcomes(request: Request) -> HireOutcomes:  # async: no worker-thread hop
    return HireOutcomes(request.app.state.resources)


OutcomesDep = Annotated[HireOutcomes, Depends(_outcomes)]


def _out(event: HireEvent) -> HireOut:
    if isinstance(event, HireAccepted):
        return HireOut(
            id=event.hire_id,
            status="accepted",
            contract_id=event.contract_id,
            employer_id=event.employer_id,
            decided_at=event.decided_at,
        )
    return HireOut(
        id=event.hire_id,
        status="rejected",
        contract_id=None,
        employer_id=event.employer_id,
        reasons=[{"code": r.code, "param": r.param} for r in event.reasons],
        decided_at=event.decided_at,
    )


@router.put("/hires/{hire_id}")
async def receive_hire(
    hire_id: UUID, body: HireIn, caller: CurrentCaller, service: ContractsDep, outcomes: OutcomesDep
) -> HireOut:
    require_scope(caller, "contracts:write")
    correlation = current_request_id() or ""
    return _out(await hire_outcome(hire_id, body, caller.tenant, service, outcomes, correlation))


async def hire_outcome(
    hire_id: UUID, body: HireIn, tenant: str, service: Contracts, outcomes: HireOutcomes, correlation: str
) -> HireEvent:
    """The hire's outcome: the one recorded first, by this delivery or another one of the same hire."""
    read = await outcomes.read(hire_id, tenant=tenant)
    if isinstance(read[1], Outcome):
        return read[1].event
    employer_id = body.contract.employer.id
    try:
        contract = await _contract_of(hire_id, body, tenant, service, correlation)
        outcome: HireEvent = HireAccepted(
            hire_id=hire_id,
            contract_id=contract.contract_id,
            employer_id=employer_id,
            member_id=contract.member_id,
            decided_at=datetime.now(UTC),
        )
    except tuple(PROBLEM_MAPPERS) as refused:
        problem = _problem(refused)
        if problem.status >= 500:
            raise  # URSSAF unavailable: the gateway delivers the hire again later
        outcome = HireRejected(
            hire_id=hire_id,
            employer_id=employer_id,
            reasons=(Rejection(code=problem.code, param=problem.param),),
            decided_at=datetime.now(UTC),
        )
    return await outcomes.record(
        RecordHireOutcome(hire_id, outcome, datetime.now(UTC)),
        tenant=tenant,
        correlation_id=correlation,
        read=read,
    )


@router.get("/hires/{hire_id}")
async def read_hire(hire_id: UUID, caller: CurrentCaller, outcomes: OutcomesDep) -> HireOut:
    if not caller.may("webhooks:send"):  # the association that pushed it, or a reader of contracts
        require_scope(caller, "contracts:read")
    found = await outcomes.outcome(hire_id, tenant=caller.tenant)
    if found is None:
        raise Problem(404, "hire_not_found", detail=f"no decided hire {hire_id} (it may still be processed)")
    return _out(found)


def _problem(error: Exception) -> Problem:
    for kind, mapper in PROBLEM_MAPPERS.items():
        if isinstance(error, kind):
            return mapper(error)
    raise error


async def _contract_of(
    hire_id: UUID, body: HireIn, tenant: str, service: Contracts, correlation: str
) -> Contract:
    """The hire's contract drafted, declared and signed, or as far as an earlier delivery took it."""
    command = draft_command(body.contract, hires.contract_of(hire_id), tenant)
    identity = EmployeeIdentity(**body.employee.model_dump())
    return await service.take_hire(command, identity, tenant=tenant, correlation_id=correlation)
