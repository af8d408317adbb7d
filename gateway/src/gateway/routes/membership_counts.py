"""/v1/membership_counts: the members of the cooperative by category and by group of categories."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, BeforeValidator, Field

from gateway.auth.dependencies import require
from gateway.routes.dates import iso_date_only
from gateway.routes.upstreams import ServiceUpstreams
from gateway.upstream import passed_through, query
from services.http import problem_responses
from services.internal_token import Caller

router = APIRouter(tags=["members"])


class CategoryCount(BaseModel):
    category: int | None = Field(description="The member category; null for members registered without one.")
    name: str | None = Field(description="The category's name in the tenant's statutes, when configured.")
    group: str | None = Field(description="The code of the group the category belongs to.")
    members: int


class GroupCount(BaseModel):
    code: str = Field(description="e.g. beneficiaries, employees, partners at SmartFr.")
    name: str
    categories: list[int]
    members: int


class MembershipCounts(BaseModel):
    object: Literal["membership_counts"] = "membership_counts"
    on: date | None = Field(description="The date counted; null for the members admitted now.")
    members: int = Field(description="All members counted.")
    groups: list[GroupCount] = Field(description="The tenant's groups of categories (none if unset).")
    categories: list[CategoryCount]


@router.get(
    "/v1/membership_counts",
    response_model=MembershipCounts,
    summary="Count the members by category",
    description=(
        "The members admitted now, or on the date `on` (admitted on or before it and not left by then), per "
        "member category and per the tenant's groups of categories (SmartFr: beneficiaries 1-3, employees 4, "
        "partners 5-9). The category counted is the member's current one."
    ),
    responses=problem_responses(400, 401, 403),
)
async def read_membership_counts(
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("members:read")],
    on: Annotated[
        date | None, BeforeValidator(iso_date_only), Query(description="Count the members on this date.")
    ] = None,
) -> Response:
    params = query(on=None if on is None else on.isoformat())
    answer = await upstreams.members.call("GET", "/internal/membership_counts", caller, params=params)
    return passed_through(answer)
