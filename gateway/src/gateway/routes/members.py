"""/v1/members: apply for membership, list the register, read a member, correct a member's details."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth.dependencies import require
from gateway.read_cache import cached_read
from gateway.routes.upstreams import ServiceUpstreams, Upstreams
from gateway.upstream import passed_through, query
from services.http import problem_responses
from services.internal_token import Caller
from services.pagination import Cursor, Limit, Page

router = APIRouter(prefix="/v1/members", tags=["members"])

PersonKind = Literal["natural_person", "legal_entity"]
Status = Literal["applied", "admitted", "resigned", "excluded"]
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class MemberApplication(BaseModel):
    """An application to become a member (sociétaire)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"person_kind": "natural_person", "display_name": "Camille Martin", "category": 1}]
        },
    )

    person_kind: PersonKind = Field(
        description="A natural person or a legal entity (association, company, local authority)."
    )
    display_name: str = Field(min_length=1, max_length=200, description="The name the register shows.")
    email: str | None = Field(
        default=None, max_length=254, pattern=EMAIL_PATTERN, description="Contact e-mail."
    )
    category: int | None = Field(
        default=None, ge=1, le=9, description="The member category applied for (1-9)."
    )


class MemberDetailsChange(BaseModel):
    """The register details to correct; the fields left out stay as they are."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"display_name": "Camille Durand"}]}
    )

    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    category: int | None = Field(default=None, ge=1, le=9)


class Member(BaseModel):
    id: UUID
    object: Literal["member"] = "member"
    person_kind: PersonKind
    display_name: str | None = Field(
        description="The name the register shows. Personal data: null once the person's data is erased, and "
        "null in the answers to POSTs (those are kept 7 days for replays; read the member for the name)."
    )
    category: int | None
    status: Status = Field(description="applied, admitted, resigned or excluded")
    applied_at: datetime
    admitted_on: date | None = Field(default=None, description="The date of the admission decision.")
    left_on: date | None = Field(default=None, description="The date a resignation or exclusion took effect.")
    erased: bool = Field(
        default=False,
        description="True once the person's data is erased (`POST /v1/members/{id}/erasure`): the name is "
        "null and the personal data reads as erased; membership, shares and votes remain.",
    )


ETAG = {"ETag": {"description": "The member's version, for If-Match.", "schema": {"type": "string"}}}


@router.post(
    "",
    status_code=201,
    response_model=Member,
    summary="Apply for membership",
    responses={201: {"headers": ETAG}, **problem_responses(400, 401, 403, 409, 413)},
)
async def apply_for_membership(
    body: MemberApplication, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("members:write")]
) -> Response:
    answer = await upstreams.members.call(
        "POST", "/internal/members", caller, json=body.model_dump(mode="json")
    )
    return passed_through(answer)


@router.get(
    "",
    response_model=Page[Member],
    summary="List the register",
    description="Members in the order they applied, a page at a time; filters are named after the fields, "
    "and `name` searches the names.",
    responses=problem_responses(400, 401, 403),
)
async def list_members(
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("members:read")],
    limit: Limit = 10,
    cursor: Cursor = None,
    status: Annotated[Status | None, Query()] = None,
    category: Annotated[int | None, Query(ge=1, le=9)] = None,
    person_kind: Annotated[PersonKind | None, Query()] = None,
    name: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            pattern=r"^[^\x00-\x1f]*$",
            description="A part of the name, in any case, accents or not (`elo` finds Élodie). An erased "
            "person is not found.",
        ),
    ] = None,
) -> Response:
    params = query(
        limit=limit, cursor=cursor, status=status, category=category, person_kind=person_kind, name=name
    )
    answer = await upstreams.members.call("GET", "/internal/members", caller, params=params)
    return passed_through(answer)


@router.get(
    "/{member_id}",
    response_model=Member,
    summary="Read a member",
    responses={200: {"headers": ETAG}, **problem_responses(400, 401, 403, 404)},
)
@cached_read
async def read_member(
    member_id: UUID, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("members:read")]
) -> Response:
    answer = await upstreams.members.call("GET", f"/internal/members/{member_id}", caller)
    return passed_through(answer)


@router.patch(
    "/{member_id}",
    response_model=Member,
    summary="Correct a member's details",
    description="With `If-Match` set to the ETag of a read, it applies only to that version, else 412.",
    responses={200: {"headers": ETAG}, **problem_responses(400, 401, 403, 404, 409, 412)},
)
async def change_member_details(
    member_id: UUID,
    body: MemberDetailsChange,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("members:write")],
    if_match: Annotated[
        str | None, Header(max_length=64, description="The ETag of the version to change.")
    ] = None,
) -> Response:
    answer = await upstreams.members.call(
        "PATCH",
        f"/internal/members/{member_id}",
        caller,
        json=body.model_dump(mode="json", exclude_none=True),
        if_match=if_match,
    )
    return passed_through(answer)


DecisionBody = Literal["board", "general_assembly"]


class Admission(BaseModel):
    """The decision of the body the statutes name (board or general assembly), with its date."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"decided_by": "board", "admitted_on": "2026-12-03"}]}
    )

    decided_by: DecisionBody
    admitted_on: date


class Resignation(BaseModel):
    """A member leaves of their own will; `resigned_on` is when it takes effect."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"resigned_on": "2027-06-30", "reason": "moved abroad"}]},
    )

    resigned_on: date
    reason: str | None = Field(default=None, max_length=500, pattern=r"^[^\x00-\x1f]*$")


class Exclusion(BaseModel):
    """The body the statutes name excludes a member, for a stated reason."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"decided_by": "general_assembly", "excluded_on": "2027-02-01", "reason": "statutes art. 9"}
            ]
        },
    )

    decided_by: DecisionBody
    excluded_on: date
    reason: str = Field(min_length=1, max_length=500, pattern=r"^[^\x00-\x1f]*\S[^\x00-\x1f]*$")


LIFECYCLE_RESPONSES = {200: {"headers": ETAG}, **problem_responses(400, 401, 403, 404, 409, 412)}


async def _lifecycle(
    step: str, member_id: UUID, body: BaseModel, upstreams: Upstreams, caller: Caller, if_match: str | None
) -> Response:
    answer = await upstreams.members.call(
        "POST",
        f"/internal/members/{member_id}/{step}",
        caller,
        json=body.model_dump(mode="json"),
        if_match=if_match,
    )
    return passed_through(answer)


@router.post(
    "/{member_id}/admission",
    response_model=Member,
    summary="Admit an applicant",
    responses=LIFECYCLE_RESPONSES,
)
async def admit_member(
    member_id: UUID,
    body: Admission,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("members:write")],
    if_match: Annotated[str | None, Header(max_length=64, description="The ETag of the version.")] = None,
) -> Response:
    return await _lifecycle("admission", member_id, body, upstreams, caller, if_match)


@router.post(
    "/{member_id}/resignation",
    response_model=Member,
    summary="Record a resignation",
    responses=LIFECYCLE_RESPONSES,
)
async def resign_membership(
    member_id: UUID,
    body: Resignation,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("members:write")],
    if_match: Annotated[str | None, Header(max_length=64, description="The ETag of the version.")] = None,
) -> Response:
    return await _lifecycle("resignation", member_id, body, upstreams, caller, if_match)


@router.post(
    "/{member_id}/exclusion", response_model=Member, summary="Exclude a member", responses=LIFECYCLE_RESPONSES
)
async def exclude_member(
    member_id: UUID,
    body: Exclusion,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("members:write")],
    if_match: Annotated[str | None, Header(max_length=64, description="The ETag of the version.")] = None,
) -> Response:
    return await _lifecycle("exclusion", member_id, body, upstreams, caller, if_match)
