"""/v1/members: apply for membership, read a member."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth.dependencies import require
from gateway.routes.upstreams import ServiceUpstreams
from gateway.upstream import passed_through
from services.http import current_request_id, problem_responses
from services.internal_token import Caller

router = APIRouter(prefix="/v1/members", tags=["members"])


class MemberApplication(BaseModel):
    """An application to become a member (sociétaire)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"person_kind": "natural_person", "display_name": "Camille Martin", "category": 1}]
        },
    )

    person_kind: Literal["natural_person", "legal_entity"] = Field(
        description="A natural person or a legal entity (association, company, local authority)."
    )
    display_name: str = Field(min_length=1, max_length=200, description="The name the register shows.")
    email: str | None = Field(
        default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="Contact e-mail."
    )
    category: int | None = Field(
        default=None, ge=1, le=9, description="The member category applied for (1-9)."
    )


class Member(BaseModel):
    id: UUID
    object: Literal["member"] = "member"
    person_kind: str
    display_name: str
    category: int | None
    status: str = Field(description="applied, admitted, resigned or excluded")
    applied_at: datetime


@router.post(
    "",
    status_code=201,
    response_model=Member,
    summary="Apply for membership",
    responses=problem_responses(400, 401, 403, 409, 413),
)
async def apply_for_membership(
    body: MemberApplication, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("members:write")]
) -> Response:
    answer = await upstreams.members.call(
        "POST",
        "/internal/members",
        caller,
        json=body.model_dump(mode="json"),
        request_id=current_request_id(),
    )
    return passed_through(answer)


@router.get(
    "/{member_id}",
    response_model=Member,
    summary="Read a member",
    responses=problem_responses(400, 401, 403, 404),
)
async def read_member(
    member_id: UUID, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("members:read")]
) -> Response:
    answer = await upstreams.members.call(
        "GET", f"/internal/members/{member_id}", caller, request_id=current_request_id()
    )
    return passed_through(answer)
