"""Membership counts by category and group of categories (internal API, called by the gateway only)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from members_svc.read_models.membership_counts import grouping_of, members_by_category
from services.caller import CurrentCaller, require_scope
from services.runtime import Resources
from services.tenancy import tenant_transaction

router = APIRouter(prefix="/internal")


class CategoryCount(BaseModel):
    category: int | None
    name: str | None
    group: str | None
    members: int


class GroupCount(BaseModel):
    code: str
    name: str
    categories: list[int]
    members: int


class MembershipCounts(BaseModel):
    object: Literal["membership_counts"] = "membership_counts"
    on: date | None
    members: int
    groups: list[GroupCount]
    categories: list[CategoryCount]


@router.get("/membership_counts")
async def read_membership_counts(
    request: Request, caller: CurrentCaller, on: Annotated[date | None, Query()] = None
) -> MembershipCounts:
    require_scope(caller, "members:read")
    resources: Resources = request.app.state.resources
    async with tenant_transaction(resources.pool, caller.tenant) as conn:
        counted = await members_by_category(conn, caller.tenant, on)
    grouping = grouping_of(caller.tenant)
    # Every configured category is listed, with 0 when it has no member; others only when they have some.
    numbers = sorted(set(grouping.category_names) | {n for n in counted if n is not None})
    categories = [
        CategoryCount(
            category=number,
            name=grouping.category_names.get(number),
            group=None if (group := grouping.group_of(number)) is None else group.code,
            members=counted.get(number, 0),
        )
        for number in numbers
    ]
    if None in counted:
        categories.append(CategoryCount(category=None, name=None, group=None, members=counted[None]))
    groups = [
        GroupCount(
            code=group.code,
            name=group.name,
            categories=list(group.categories),
            members=sum(counted.get(number, 0) for number in group.categories),
        )
        for group in grouping.groups
    ]
    return MembershipCounts(on=on, members=sum(counted.values()), groups=groups, categories=categories)
