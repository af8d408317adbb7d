"""/v1/members/{member_id}/share_*: shares (parts sociales) subscribed, paid up, repaid; /v1/capital."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth.dependencies import require
from gateway.routes.upstreams import ServiceUpstreams
from gateway.upstream import passed_through
from services.http import problem_responses
from services.internal_token import Caller

router = APIRouter(tags=["shares"])


class ShareSubscription(BaseModel):
    """Shares the member subscribes, at the cooperative's nominal (30 EUR a share at SmartFr)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"share_count": 10, "subscribed_on": "2026-11-26"}]}
    )

    share_count: int = Field(ge=1, le=1_000_000, description="How many shares (parts sociales).")
    subscribed_on: date = Field(description="The date of the subscription form.")


class SharePayment(BaseModel):
    """An instalment paid up on subscribed shares; never more than what is still unpaid."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"amount_cents": 3000, "paid_on": "2026-11-26"}]}
    )

    amount_cents: int = Field(ge=1, le=10**12, description="The amount paid, in euro cents.")
    paid_on: date = Field(description="The date the money was received.")


class ShareRepayment(BaseModel):
    """A leaver's shares repaid at nominal, after the AGM approved the accounts of the year they left."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"accounts_approved_on": "2027-06-15", "repaid_on": "2027-07-01"}]},
    )

    accounts_approved_on: date = Field(
        description="The date the general assembly approved the accounts of the year the member left."
    )
    repaid_on: date = Field(description="The date of the repayment; not before the approval.")


class MemberShares(BaseModel):
    member_id: UUID
    object: Literal["member_shares"] = "member_shares"
    share_count: int
    nominal_cents: int | None = Field(description="The nominal of one share, in cents; null without shares.")
    subscribed_cents: int
    paid_cents: int
    unpaid_cents: int = Field(description="Subscribed but not yet paid up.")
    repaid_cents: int = Field(description="Repaid to the member on leaving.")
    liability_ends_on: date | None = Field(
        description="A leaver stays liable for 5 years after leaving (set on repayment)."
    )


class CapitalOfCategory(BaseModel):
    category: int | None = Field(description="The member category; null for members registered without one.")
    college: str | None = Field(description="The voting college of the category, as the statutes set it.")
    subscribed_cents: int
    paid_cents: int
    unpaid_cents: int
    repaid_cents: int
    members: int = Field(description="Members of the category holding at least one share.")


class CapitalOfCollege(BaseModel):
    college: str | None = Field(description="The college's code; null gathers the members in no college.")
    name: str | None
    categories: list[int]
    subscribed_cents: int
    paid_cents: int
    unpaid_cents: int
    repaid_cents: int
    members: int = Field(description="Members of the college holding at least one share.")


class CapitalTable(BaseModel):
    object: Literal["capital"] = "capital"
    subscribed_cents: int = Field(description="The capital subscribed by the current members.")
    paid_cents: int
    unpaid_cents: int
    repaid_cents: int = Field(description="Repaid to leavers so far.")
    members: int = Field(description="Members holding at least one share.")
    historic_max_cents: int = Field(description="The highest subscribed capital ever reached.")
    floor_cents: int = Field(description="A quarter of the historic maximum (Code de commerce L231-5).")
    by_college: list[CapitalOfCollege] = Field(
        description="Per voting college of the tenant's statutes, every college listed."
    )
    by_category: list[CapitalOfCategory] = Field(description="Per member category that holds or held shares.")


async def _post(
    upstreams: ServiceUpstreams, caller: Caller, member_id: UUID, what: str, body: BaseModel
) -> Response:
    answer = await upstreams.members.call(
        "POST", f"/internal/members/{member_id}/{what}", caller, json=body.model_dump(mode="json")
    )
    return passed_through(answer)


@router.post(
    "/v1/members/{member_id}/share_subscriptions",
    status_code=201,
    response_model=MemberShares,
    summary="Subscribe shares",
    description="Adds `share_count` shares at the tenant's nominal; the member's shares after it.",
    responses=problem_responses(400, 401, 403, 404, 409, 413),
)
async def subscribe_shares(
    member_id: UUID,
    body: ShareSubscription,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("members:write")],
) -> Response:
    return await _post(upstreams, caller, member_id, "share_subscriptions", body)


@router.post(
    "/v1/members/{member_id}/share_payments",
    status_code=201,
    response_model=MemberShares,
    summary="Pay up shares",
    description="An instalment; more than the unpaid capital is refused (409 payment_exceeds_subscription).",
    responses=problem_responses(400, 401, 403, 404, 409, 413),
)
async def pay_for_shares(
    member_id: UUID,
    body: SharePayment,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("members:write")],
) -> Response:
    return await _post(upstreams, caller, member_id, "share_payments", body)


@router.post(
    "/v1/members/{member_id}/share_repayments",
    status_code=201,
    response_model=MemberShares,
    summary="Repay a leaver's shares",
    description=(
        "At nominal, what the member paid up. Refused (409) unless the member left "
        "(`member_has_not_left`), the accounts were approved since (`accounts_not_approved_since_leaving`), "
        "and the capital stays at a quarter of its historic maximum at least (`capital_below_floor`)."
    ),
    responses=problem_responses(400, 401, 403, 404, 409, 413),
)
async def repay_shares(
    member_id: UUID,
    body: ShareRepayment,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("members:write")],
) -> Response:
    return await _post(upstreams, caller, member_id, "share_repayments", body)


@router.get(
    "/v1/members/{member_id}/shares",
    response_model=MemberShares,
    summary="Read a member's shares",
    responses=problem_responses(400, 401, 403, 404),
)
async def read_member_shares(
    member_id: UUID, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("members:read")]
) -> Response:
    answer = await upstreams.members.call("GET", f"/internal/members/{member_id}/shares", caller)
    return passed_through(answer)


@router.get(
    "/v1/capital",
    response_model=CapitalTable,
    summary="Read the capital table",
    description=(
        "The cooperative's capital: subscribed, paid, unpaid and repaid, in euro cents; in total, by voting "
        "college and by member category."
    ),
    responses=problem_responses(400, 401, 403),
)
async def read_capital(
    upstreams: ServiceUpstreams, caller: Annotated[Caller, require("members:read")]
) -> Response:
    answer = await upstreams.members.call("GET", "/internal/capital", caller)
    return passed_through(answer)
