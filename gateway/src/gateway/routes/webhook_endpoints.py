"""/v1/webhook_endpoints: where a tenant wants its events delivered, the attempts log, replays.

Everything is scoped to the caller's tenant: another tenant's endpoint answers 404 as a missing one does.
The signing secret is shown once, in the answer to the create; it is stored encrypted.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Literal, get_args

from fastapi import APIRouter, Header, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from gateway.auth.dependencies import require
from gateway.outbound import deliveries, endpoints
from gateway.outbound.catalogue import CATALOGUE
from gateway.outbound.endpoints import Endpoint, VersionMismatch
from gateway.outbound.running import secret_box
from gateway.outbound.signing_secrets import new_secret
from gateway.outbound.urls import UrlRefused, check_url
from services.http import Problem, problem_responses
from services.internal_token import Caller
from services.pagination import Cursor, Limit, Page, decode_cursor, encode_cursor
from services.runtime import Resources

router = APIRouter(prefix="/v1/webhook_endpoints", tags=["webhooks"])

Manager = Annotated[Caller, require("webhooks:manage")]
EventType = Literal[
    "member.applied",
    "member.admitted",
    "shares.subscribed",
    "shares.paid",
    "shares.repaid",
    "employer_structure.status_changed",
    "assembly.convened",
    "assembly.closed",
    "contract.hire_declared",
    "contract.signed",
    "contract.completed",
    "contract.cancelled",
    "payslip.issued",
    "salary.paid",
    "invoice.issued",
    "invoice.payment_received",
    "invoice.dunning_notice_sent",
    "invoice.provisioned_as_doubtful",
    "invoice.written_off",
    "client_credit.kept",
    "client_credit.applied",
    "client_credit.refunded",
    "hire.accepted",
    "hire.rejected",
    "endpoint.disabled",
]
assert set(get_args(EventType)) == set(CATALOGUE), "the API's event types are the catalogue's"

# Printable text only: PostgreSQL refuses NUL, and a URL or a label has no use for control characters.
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
_ENDPOINT_ID = re.compile(r"^we_[0-9a-f]{24}$")
ETAG = {"ETag": {"description": "The endpoint's version, for If-Match.", "schema": {"type": "string"}}}

_URL_PATTERN = r"^https?://[^\x00-\x20\x7f]+$"
_URL = Field(
    min_length=1,
    max_length=2048,
    pattern=_URL_PATTERN,
    description="Where to POST the events: https:// to a public address.",
    examples=["https://hooks.example.org/smartfr"],
)
_TYPES = Field(
    min_length=1, max_length=len(CATALOGUE), description="The event types to receive (see docs/webhooks.md)."
)


class NewWebhookEndpoint(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://hooks.example.org/smartfr",
                    "event_types": ["member.applied"],
                    "description": "Member register sync",
                }
            ]
        },
    )

    url: str = _URL
    event_types: list[EventType] = _TYPES
    description: str | None = Field(default=None, max_length=500, pattern=_PRINTABLE)


class WebhookEndpointChange(BaseModel):
    """The fields to change; those absent stay as they are. `enabled: true` re-enables a disabled endpoint."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"enabled": True}, {"event_types": ["member.applied"]}]},
    )

    # Absent means unchanged; null is refused (SkipJsonSchema keeps null out of the published schema, and
    # the constraints sit on the non-null type, where they apply).
    url: Annotated[str, Field(min_length=1, max_length=2048, pattern=_URL_PATTERN)] | SkipJsonSchema[None] = (
        Field(default=None, description="A new URL (same rules).")
    )
    event_types: (
        Annotated[list[EventType], Field(min_length=1, max_length=len(CATALOGUE))] | SkipJsonSchema[None]
    ) = None
    description: str | None = Field(default=None, max_length=500, pattern=_PRINTABLE)
    enabled: bool | SkipJsonSchema[None] = None

    @model_validator(mode="after")
    def _no_nulls(self) -> WebhookEndpointChange:
        for name in ("url", "event_types", "enabled"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class WebhookEndpoint(BaseModel):
    id: str = Field(examples=["we_4f3c2a1b9d8e7f6a5b4c3d2e"])
    object: Literal["webhook_endpoint"] = "webhook_endpoint"
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None = Field(
        description="gone (410), failing (5 days), disabled_by_client; or null"
    )
    created_at: datetime
    updated_at: datetime


class CreatedWebhookEndpoint(WebhookEndpoint):
    secret: str = Field(
        description="The signing secret (Standard Webhooks). Shown this once: store it now.",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )


class WebhookAttempt(BaseModel):
    id: str
    object: Literal["webhook_attempt"] = "webhook_attempt"
    message_id: str = Field(description="The webhook-id the receiver got.")
    attempted_at: datetime
    succeeded: bool
    status_code: int | None = Field(description="The receiver's status; null when it did not answer.")
    duration_ms: int
    response_body: str | None = Field(description="The first KiB of the receiver's answer.")
    error: str | None = Field(description="Why no answer came (timeout, refused connection...).")


class ReplayMessage(BaseModel):
    """One message, by its id."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"message_id": "msg_0197a3c25b1e7c3d9a4f2e6b8d1c0f57"}]},
    )

    message_id: str = Field(
        pattern=r"^msg_[0-9a-f]{32}$", description="The webhook-id of the message to send again."
    )


class ReplayRange(BaseModel):
    """Every message of the endpoint's event types created in [`from`, `to`) (none when `to` <= `from`)."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={"examples": [{"from": "2026-11-26T00:00:00Z", "to": "2026-11-27T00:00:00Z"}]},
    )

    from_: AwareDatetime = Field(alias="from")
    to: AwareDatetime


class Replayed(BaseModel):
    object: Literal["webhook_replay"] = "webhook_replay"
    enqueued: int = Field(description="How many deliveries were queued again.")


def _resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


def _now() -> datetime:
    return datetime.now(UTC)


def _view(endpoint: Endpoint) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=endpoint.id,
        url=endpoint.url,
        description=endpoint.description,
        event_types=endpoint.event_types,
        enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def _etag(endpoint: Endpoint) -> str:
    return f'"{endpoint.version}"'


def _not_found(endpoint_id: str) -> Problem:
    shown = endpoint_id if _ENDPOINT_ID.match(endpoint_id) else "with that id"
    return Problem(404, "webhook_endpoint_not_found", detail=f"no webhook endpoint {shown}")


def _endpoint_id(endpoint_id: str) -> str:
    """An id that cannot be one of ours is not found, like any other unknown id."""
    if not _ENDPOINT_ID.match(endpoint_id):
        raise _not_found(endpoint_id)
    return endpoint_id


async def _checked(request: Request, url: str) -> str:
    settings = _resources(request).settings
    try:
        await check_url(url, allow_loopback=bool(getattr(settings, "webhooks_allow_loopback", False)))
    except UrlRefused as refused:
        raise Problem(400, refused.code, detail=refused.detail, param="url") from None
    return url


def _seq_after(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    value = decode_cursor(cursor).get("before")
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**63:
        raise Problem(400, "invalid_cursor", detail="the cursor is not one this API gave", param="cursor")
    return value


@router.post(
    "",
    status_code=201,
    response_model=CreatedWebhookEndpoint,
    summary="Register a webhook endpoint",
    description="The answer holds the signing secret, shown this once.",
    responses=problem_responses(400, 401, 403, 409, 422),
)
async def create_webhook_endpoint(
    body: NewWebhookEndpoint, request: Request, caller: Manager
) -> CreatedWebhookEndpoint:
    url = await _checked(request, body.url)
    resources = _resources(request)
    secret = new_secret()
    async with resources.pool.acquire() as conn:
        endpoint = await endpoints.create(
            conn,
            tenant=caller.tenant,
            url=url,
            event_types=body.event_types,
            description=body.description,
            sealed_secret=secret_box(resources.settings).seal(secret),
            now=_now(),
        )
    return CreatedWebhookEndpoint(**_view(endpoint).model_dump(), secret=secret)


@router.get(
    "",
    response_model=Page[WebhookEndpoint],
    summary="List webhook endpoints",
    description="Newest first.",
    responses=problem_responses(400, 401, 403),
)
async def list_webhook_endpoints(
    request: Request, caller: Manager, limit: Limit = 10, cursor: Cursor = None
) -> Page[WebhookEndpoint]:
    async with _resources(request).pool.acquire() as conn:
        found, has_more = await endpoints.page(
            conn, caller.tenant, limit=limit, before_seq=_seq_after(cursor)
        )
    next_cursor = encode_cursor({"before": found[-1].seq}) if has_more and found else None
    return Page(data=[_view(one) for one in found], has_more=has_more, next_cursor=next_cursor)


@router.get(
    "/{endpoint_id}",
    response_model=WebhookEndpoint,
    summary="Read a webhook endpoint",
    responses={200: {"headers": ETAG}, **problem_responses(400, 401, 403, 404)},
)
async def read_webhook_endpoint(
    endpoint_id: str, request: Request, response: Response, caller: Manager
) -> WebhookEndpoint:
    endpoint_id = _endpoint_id(endpoint_id)
    async with _resources(request).pool.acquire() as conn:
        endpoint = await endpoints.get(conn, caller.tenant, endpoint_id)
    if endpoint is None:
        raise _not_found(endpoint_id)
    response.headers["ETag"] = _etag(endpoint)
    return _view(endpoint)


@router.patch(
    "/{endpoint_id}",
    response_model=WebhookEndpoint,
    summary="Change a webhook endpoint",
    description="Send `If-Match` with the ETag read to refuse a change made meanwhile (412).",
    responses={200: {"headers": ETAG}, **problem_responses(400, 401, 403, 404, 412)},
)
async def change_webhook_endpoint(
    endpoint_id: str,
    body: WebhookEndpointChange,
    request: Request,
    response: Response,
    caller: Manager,
    if_match: Annotated[
        str | None, Header(description="The ETag of the version the change is based on.")
    ] = None,
) -> WebhookEndpoint:
    endpoint_id = _endpoint_id(endpoint_id)
    changes = body.model_dump(exclude_unset=True)
    if body.url is not None:
        await _checked(request, body.url)
    expected = None
    if if_match is not None:
        try:
            expected = int(if_match.strip().removeprefix("W/").strip('"'))
        except ValueError:
            raise Problem(
                412, "precondition_failed", detail="If-Match is not an ETag of this endpoint"
            ) from None
    resources = _resources(request)
    try:
        async with resources.pool.acquire() as conn:
            endpoint = await endpoints.update(
                conn,
                resources.store,
                caller.tenant,
                endpoint_id,
                changes,
                expected_version=expected,
                now=_now(),
            )
    except VersionMismatch:
        raise Problem(412, "precondition_failed", detail="the endpoint changed since that ETag") from None
    if endpoint is None:
        raise _not_found(endpoint_id)
    response.headers["ETag"] = _etag(endpoint)
    return _view(endpoint)


@router.delete(
    "/{endpoint_id}",
    status_code=204,
    summary="Delete a webhook endpoint",
    description="Its pending deliveries and its attempts log go with it.",
    responses=problem_responses(400, 401, 403, 404),
)
async def delete_webhook_endpoint(endpoint_id: str, request: Request, caller: Manager) -> Response:
    endpoint_id = _endpoint_id(endpoint_id)
    async with _resources(request).pool.acquire() as conn:
        deleted = await endpoints.delete(conn, caller.tenant, endpoint_id)
    if not deleted:
        raise _not_found(endpoint_id)
    return Response(status_code=204)


@router.get(
    "/{endpoint_id}/attempts",
    response_model=Page[WebhookAttempt],
    summary="List delivery attempts to an endpoint",
    description="Newest first: status, duration, the first KiB of the answer, or the error.",
    responses=problem_responses(400, 401, 403, 404),
)
async def list_webhook_attempts(
    endpoint_id: str, request: Request, caller: Manager, limit: Limit = 10, cursor: Cursor = None
) -> Page[WebhookAttempt]:
    endpoint_id = _endpoint_id(endpoint_id)
    async with _resources(request).pool.acquire() as conn:
        if await endpoints.get(conn, caller.tenant, endpoint_id) is None:
            raise _not_found(endpoint_id)
        found, has_more = await deliveries.attempts_page(
            conn, endpoint_id, limit=limit, before_id=_seq_after(cursor)
        )
    return Page(
        data=[
            WebhookAttempt(
                id=f"wa_{one.id}",
                message_id=one.message_id,
                attempted_at=one.attempted_at,
                succeeded=one.succeeded,
                status_code=one.status_code,
                duration_ms=one.duration_ms,
                response_body=one.response_body,
                error=one.error,
            )
            for one in found
        ],
        has_more=has_more,
        next_cursor=encode_cursor({"before": found[-1].id}) if has_more and found else None,
    )


@router.post(
    "/{endpoint_id}/replay",
    status_code=202,
    response_model=Replayed,
    summary="Deliver messages to an endpoint again",
    description="One message by id, or every message of the endpoint's event types in a time range.",
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
async def replay_webhooks(
    endpoint_id: str, body: ReplayMessage | ReplayRange, request: Request, caller: Manager
) -> Replayed:
    endpoint_id = _endpoint_id(endpoint_id)
    now = _now()
    async with _resources(request).pool.acquire() as conn, conn.transaction():
        endpoint = await endpoints.get(conn, caller.tenant, endpoint_id)
        if endpoint is None:
            raise _not_found(endpoint_id)
        if not endpoint.enabled:
            raise Problem(409, "webhook_endpoint_disabled", detail="enable the endpoint before replaying")
        if isinstance(body, ReplayMessage):
            enqueued = await deliveries.replay_message(conn, caller.tenant, endpoint_id, body.message_id, now)
            if not enqueued:
                raise Problem(
                    404,
                    "webhook_message_not_found",
                    detail=f"no message {body.message_id}",
                    param="message_id",
                )
        else:
            enqueued = await deliveries.replay_range(
                conn, caller.tenant, endpoint_id, endpoint.event_types, body.from_, body.to, now
            )
    return Replayed(enqueued=enqueued)
