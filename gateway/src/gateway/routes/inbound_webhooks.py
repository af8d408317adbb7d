"""POST /v1/webhooks/inbound/{kind}: partner associations push signed messages (Standard Webhooks).

The API credential says which association calls (its source, and so the tenant); the `webhook-signature`
made with the source's `whsec_` secret proves the raw body is theirs. The body is read as bytes and never
re-serialised before verification. A kind with its own public path (contracts' `POST /v1/webhooks/hires`)
calls `accept` with its kind name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth.dependencies import authenticated_caller
from gateway.clock import clock_of
from gateway.config import Settings
from gateway.inbound.kinds import KINDS
from gateway.inbound.receiver import Receiver
from gateway.inbound.sealing import Sealer
from gateway.inbound.sources import Pusher, pusher_for_client
from services.http import Problem, current_request_id, problem_responses
from services.ids import new_event_id
from services.internal_token import Caller
from services.runtime import Resources
from services.telemetry import current_traceparent

router = APIRouter(prefix="/v1/webhooks/inbound", tags=["inbound webhooks"])


class WebhookAccepted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"id": "0197a3d0-1c2b-7a4e-9f10-3b5c7d9e1a20", "status": "accepted"}]}
    )

    id: str = Field(description="The gateway's id of the stored message; the same for every redelivery.")
    status: str = Field(description="Always `accepted`: the message is stored and will be processed.")


_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The message as signed: any JSON object for `test.ping`; each kind documents its own.",
        "content": {
            "application/json": {
                "schema": {"type": "object", "additionalProperties": True},
                "examples": {"ping": {"value": {"hello": "world"}}},
            }
        },
    }
}


async def _now(request: Request) -> datetime:  # async: no worker-thread hop
    return clock_of(request.app).now()


async def accept(request: Request, kind_name: str, caller: Caller, now: datetime) -> Response:
    """The whole receipt of a message of `kind_name` from `caller`: 202, a replayed 202, or a problem."""
    kind = KINDS.get(kind_name)
    if kind is None:
        raise Problem(
            404, "webhook_kind_unknown", detail=f"no inbound webhook kind {kind_name!r}", param="kind"
        )
    if kind.scope not in caller.scopes:
        raise Problem(403, "insufficient_scope", detail=f"pushing {kind.name} needs the {kind.scope!r} scope")
    resources: Resources = request.app.state.resources
    pusher = await _pusher(resources, caller, now)
    receiver = _receiver(request, resources)
    answer = await receiver.receive(
        pusher,
        kind,
        request.headers,
        await request.body(),
        now=now,
        metadata=_metadata(caller),
    )
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


@router.post(
    "/{kind}",
    status_code=202,
    response_model=WebhookAccepted,
    summary="Push a signed message (inbound webhook)",
    description=(
        "Standard Webhooks: `webhook-signature` is `v1,` + base64 HMAC-SHA256 of "
        "`webhook-id.webhook-timestamp.body` with your `whsec_` secret (several space-separated signatures "
        "are accepted, e.g. during a rotation); the timestamp may be at most 5 minutes off. Authenticate "
        "with your API credential as well. A redelivery with the same `webhook-id` gets the first answer "
        "again (`Idempotent-Replayed: true`) and stores nothing; no `Idempotency-Key` is needed."
    ),
    responses=problem_responses(400, 401, 403, 404, 413, 422),
    openapi_extra=_BODY_DOC,
)
async def push_webhook(
    kind: str,
    request: Request,
    caller: Annotated[Caller, Depends(authenticated_caller)],
    now: Annotated[datetime, Depends(_now)],
    webhook_id: Annotated[str | None, Header(alias="webhook-id", description="Unique per message.")] = None,
    webhook_timestamp: Annotated[
        str | None, Header(alias="webhook-timestamp", description="Unix time in seconds.")
    ] = None,
    webhook_signature: Annotated[
        str | None, Header(alias="webhook-signature", description="`v1,<base64>`, space-separated.")
    ] = None,
) -> Response:
    # The headers are declared for the documentation; the receiver reads them from the request itself.
    return await accept(request, kind, caller, now)


async def _pusher(resources: Resources, caller: Caller, now: datetime) -> Pusher:
    async with resources.pool.acquire() as conn:
        pusher = await pusher_for_client(conn, caller.client_id, now=now)
    if pusher is None or pusher.source.tenant != caller.tenant:
        raise Problem(
            403,
            "webhook_source_unknown",
            detail="this API client has no inbound webhook source; ask SmartFr to issue your signing secret",
        )
    return pusher


def _receiver(request: Request, resources: Resources) -> Receiver:
    receiver = getattr(request.app.state, "inbound_receiver", None)
    if not isinstance(receiver, Receiver):
        settings = resources.settings
        if not isinstance(settings, Settings):
            raise TypeError("the gateway runs with gateway.config.Settings")
        receiver = Receiver(
            resources.pool, resources.store, Sealer(settings.secrets_encryption_key.get_secret_value())
        )
        request.app.state.inbound_receiver = receiver
    return receiver


def _metadata(caller: Caller) -> dict[str, Any]:
    return {
        "correlation_id": new_event_id(),
        "traceparent": current_traceparent(),
        "request_id": current_request_id(),
        "client_id": caller.client_id,
    }
