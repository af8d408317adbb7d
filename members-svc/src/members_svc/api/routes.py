"""Members: apply, read, search by name, correct, and the lifecycle decisions.

A member's name is personal data (ADR 008): sealed with the person's key in the events, shown by reads while
it lasts, and never in the answers to POSTs, which the gateway keeps for 7 days for replays.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from members_svc.api.dto import (
    Admission,
    Exclusion,
    Member,
    MemberApplication,
    MemberDetailsChange,
    Resignation,
)
from members_svc.bootstrap import Members
from members_svc.domain.membership import (
    AdmitMember,
    ApplyForMembership,
    ChangeMemberDetails,
    ExcludeMember,
    RegisteredPerson,
    ResignMembership,
)
from members_svc.domain.personal_data import Sealer
from members_svc.keyring import DataKey
from members_svc.read_models.member_register import (
    MemberFilter,
    RegisteredMember,
    find_member,
    list_members,
)
from services.caller import CurrentCaller, require_scope
from services.http import Problem, current_request_id
from services.http.preconditions import etag, expected_version, precondition
from services.internal_token import Caller
from services.pagination import Cursor, Limit, Page, page_of, uuid_after
from services.request_keys import CurrentRequestKey, id_for
from services.tenancy import tenant_transaction

router = APIRouter(prefix="/internal")


async def _members(request: Request) -> Members:  # async: no worker-thread hop
    members: Members = request.app.state.service
    return members


MembersDep = Annotated[Members, Depends(_members)]


@router.post("/members", status_code=201)
async def apply_for_membership(
    body: MemberApplication,
    caller: CurrentCaller,
    members: MembersDep,
    response: Response,
    request_key: CurrentRequestKey,
) -> Member:
    require_scope(caller, "members:write")
    member_id = id_for(request_key, "member")  # a retried request names the same member
    key = DataKey.new(caller.tenant, member_id)
    command = ApplyForMembership(
        member_id=member_id,
        person_kind=body.person_kind,
        display_name=body.display_name,
        email=body.email,
        category=body.category,
        now=datetime.now(UTC),
        seal=key.seal,
    )
    version, state = await members.apply(
        command, key, tenant=caller.tenant, correlation_id=current_request_id() or ""
    )
    response.headers["ETag"] = etag(version)
    response.headers["Location"] = f"/v1/members/{member_id}"
    return _answer(state, display_name=None)  # not echoed: the gateway keeps POST answers (ADR 008)


@router.get("/members/{member_id}")
async def read_member(
    member_id: UUID, caller: CurrentCaller, members: MembersDep, response: Response
) -> Member:
    require_scope(caller, "members:read")
    async with tenant_transaction(members.resources.pool, caller.tenant) as conn:
        found = await find_member(conn, caller.tenant, member_id)
    if found is None:
        raise Problem(404, "member_not_found", detail=f"no member {member_id}")
    response.headers["ETag"] = etag(found.version)
    return _member(found)


def _member(found: RegisteredMember) -> Member:
    return Member(
        id=found.member_id,
        person_kind=found.person_kind,
        display_name=found.display_name,
        category=found.category,
        status=found.status,
        applied_at=found.applied_at,
        admitted_on=found.admitted_on,
        left_on=found.left_on,
        erased=found.erased,
    )


@router.get("/members")
async def list_register(
    caller: CurrentCaller,
    members: MembersDep,
    limit: Limit = 10,
    cursor: Cursor = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    category: Annotated[int | None, Query(ge=1, le=9)] = None,
    person_kind: Annotated[str | None, Query(max_length=20)] = None,
    name: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> Page[Member]:
    require_scope(caller, "members:read")
    filters = MemberFilter(status=status, category=category, person_kind=person_kind, name=name)
    async with tenant_transaction(members.resources.pool, caller.tenant) as conn:
        found = await list_members(conn, caller.tenant, filters, after=uuid_after(cursor), limit=limit + 1)
    page, has_more, next_cursor = page_of(found, limit, lambda m: {"after": str(m.member_id)})
    return Page[Member](data=[_member(m) for m in page], has_more=has_more, next_cursor=next_cursor)


@router.patch("/members/{member_id}")
async def change_member_details(
    member_id: UUID,
    body: MemberDetailsChange,
    caller: CurrentCaller,
    members: MembersDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> Member:
    require_scope(caller, "members:write")
    expected = expected_version(if_match)

    def change(seal: Sealer) -> ChangeMemberDetails:
        return ChangeMemberDetails(
            member_id=member_id,
            display_name=body.display_name,
            email=body.email,
            category=body.category,
            now=datetime.now(UTC),
            seal=seal,
        )

    with precondition(expected, "member"):
        version, state = await members.act_sealed(
            member_id,
            change,
            tenant=caller.tenant,
            correlation_id=current_request_id() or "",
            expected_version=expected,
        )
    response.headers["ETag"] = etag(version)
    # A PATCH answer is not kept by the gateway: it shows the name, opened from the stream.
    name = await members.display_name(caller.tenant, member_id)
    return _answer(state, display_name=name)


@router.post("/members/{member_id}/admission")
async def admit_member(
    member_id: UUID,
    body: Admission,
    caller: CurrentCaller,
    members: MembersDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> Member:
    require_scope(caller, "members:write")
    command = AdmitMember(member_id, body.decided_by, body.admitted_on, now=datetime.now(UTC))
    return await _act(members, command, caller, response, expected_version(if_match))


@router.post("/members/{member_id}/resignation")
async def resign_membership(
    member_id: UUID,
    body: Resignation,
    caller: CurrentCaller,
    members: MembersDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> Member:
    require_scope(caller, "members:write")
    command = ResignMembership(member_id, body.resigned_on, body.reason, now=datetime.now(UTC))
    return await _act(members, command, caller, response, expected_version(if_match))


@router.post("/members/{member_id}/exclusion")
async def exclude_member(
    member_id: UUID,
    body: Exclusion,
    caller: CurrentCaller,
    members: MembersDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> Member:
    require_scope(caller, "members:write")
    command = ExcludeMember(member_id, body.decided_by, body.excluded_on, body.reason, now=datetime.now(UTC))
    return await _act(members, command, caller, response, expected_version(if_match))


async def _act(
    members: Members,
    command: AdmitMember | ResignMembership | ExcludeMember,
    caller: Caller,
    response: Response,
    expected: int | None,
) -> Member:
    with precondition(expected, "member"):
        version, state = await members.act_on_member(
            command,
            tenant=caller.tenant,
            correlation_id=current_request_id() or "",
            expected_version=expected,
        )
    response.headers["ETag"] = etag(version)
    return _answer(state, display_name=None)  # a POST answer: no personal data (ADR 008)


def _answer(state: RegisteredPerson, *, display_name: str | None) -> Member:
    """The register is a projection that may lag: a command is answered from the aggregate it left."""
    return Member(
        id=state.member_id,
        person_kind=state.person_kind,
        display_name=display_name,
        category=state.category,
        status=state.status,
        applied_at=state.applied_at,
        admitted_on=state.admitted_on,
        left_on=state.left_on,
        erased=state.erased,
    )
