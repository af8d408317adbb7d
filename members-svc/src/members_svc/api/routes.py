"""Members: apply, read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response

from members_svc.api.dto import Member, MemberApplication
from members_svc.bootstrap import Members
from members_svc.domain.membership import ApplyForMembership
from members_svc.read_models.member_register import find_member
from services.caller import CurrentCaller, require_scope
from services.http import Problem, current_request_id
from services.ids import new_event_id

router = APIRouter(prefix="/internal")


def _members(request: Request) -> Members:
    members: Members = request.app.state.service
    return members


MembersDep = Annotated[Members, Depends(_members)]


@router.post("/members", status_code=201)
async def apply_for_membership(
    body: MemberApplication, caller: CurrentCaller, members: MembersDep, response: Response
) -> Member:
    require_scope(caller, "members:write")
    now = datetime.now(UTC)
    command = ApplyForMembership(
        member_id=new_event_id(),
        person_kind=body.person_kind,
        display_name=body.display_name,
        email=body.email,
        category=body.category,
        now=now,
    )
    version = await members.apply(command, tenant=caller.tenant, correlation_id=current_request_id() or "")
    response.headers["ETag"] = f'"{version}"'
    response.headers["Location"] = f"/v1/members/{command.member_id}"
    return Member(
        id=command.member_id,
        person_kind=body.person_kind,
        display_name=body.display_name,
        category=body.category,
        status="applied",
        applied_at=now,
    )


@router.get("/members/{member_id}")
async def read_member(
    member_id: UUID, caller: CurrentCaller, members: MembersDep, response: Response
) -> Member:
    require_scope(caller, "members:read")
    async with members.resources.pool.acquire() as conn:
        found = await find_member(conn, caller.tenant, member_id)
    if found is None:
        raise Problem(404, "member_not_found", detail=f"no member {member_id}")
    response.headers["ETag"] = f'"{found.version}"'
    return Member(
        id=found.member_id,
        person_kind=found.person_kind,
        display_name=found.display_name,
        category=found.category,
        status=found.status,
        applied_at=found.applied_at,
    )
