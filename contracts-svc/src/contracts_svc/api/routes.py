"""Employees: the members contracts-svc knows of."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from contracts_svc.read_models.known_members import find_known_member
from services.caller import CurrentCaller, ServiceResources, require_scope
from services.http import Problem
from services.tenancy import tenant_transaction

router = APIRouter(prefix="/internal")


class Employee(BaseModel):
    id: UUID
    object: Literal["employee"] = "employee"
    person_kind: str
    member_since_application: datetime
    known_since: datetime


@router.get("/employees/{member_id}")
async def read_employee(member_id: UUID, caller: CurrentCaller, resources: ServiceResources) -> Employee:
    require_scope(caller, "contracts:read")
    async with tenant_transaction(resources.pool, caller.tenant) as conn:
        found = await find_known_member(conn, caller.tenant, member_id)
    if found is None:
        raise Problem(404, "employee_not_found", detail=f"no employee {member_id}")
    return Employee(
        id=found.member_id,
        person_kind=found.person_kind,
        member_since_application=found.applied_at,
        known_since=found.recorded_at,
    )
