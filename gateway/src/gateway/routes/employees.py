"""/v1/employees: the members contracts-svc knows of (learnt from members-svc's events over the bus)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel

from gateway.auth.dependencies import require
from gateway.routes.upstreams import ServiceUpstreams
from gateway.upstream import passed_through
from services.http import problem_responses
from services.internal_token import Caller

router = APIRouter(prefix="/v1/employees", tags=["contracts"])


class Employee(BaseModel):
    id: UUID
    object: Literal["employee"] = "employee"
    person_kind: str
    member_since_application: datetime
    known_since: datetime


@router.get(
    "/{member_id}",
    response_model=Employee,
    summary="Read a member as contracts-svc knows them",
    responses=problem_responses(400, 401, 403, 404),
)
async def read_employee(
    member_id: UUID, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("contracts:read")]
) -> Response:
    answer = await upstreams.contracts.call("GET", f"/internal/employees/{member_id}", caller)
    return passed_through(answer)
