"""Disabling an endpoint: no more deliveries to it, and the tenant told by a public event when we did it.

`gateway.WebhookEndpointDisabled` (schemas/jsonschema/gateway/WebhookEndpointDisabled.v1.json) is appended to
the endpoint's stream with its outbox row, in the caller's transaction: the disable and the notice commit
together or not at all.
"""

from __future__ import annotations

from datetime import datetime

from services.envelope import Envelope
from services.eventstore.store import EventStore
from services.eventstore.types import NewEvent
from services.ids import new_event_id
from services.log_reader import Conn

DISABLED_EVENT = "gateway.WebhookEndpointDisabled"
# Why an endpoint was disabled; the first two are the gateway's doing and are announced.
GONE = "gone"  # it answered 410
FAILING = "failing"  # no success for 5 days
BY_CLIENT = "disabled_by_client"


async def disable_endpoint(
    conn: Conn, store: EventStore, tenant: str, endpoint_id: str, *, reason: str, now: datetime
) -> None:
    """Call inside a transaction. Pending deliveries are cancelled (a replay can send them again)."""
    await conn.execute(
        """UPDATE webhook_endpoints SET enabled = false, disabled_reason = $3, paused_until = NULL,
               version = version + 1, updated_at = $4
           WHERE tenant = $1 AND id = $2""",
        tenant,
        endpoint_id,
        reason,
        now,
    )
    await conn.execute(
        """UPDATE webhook_deliveries SET status = 'cancelled', finished_at = $2
           WHERE endpoint_id = $1 AND status = 'pending'""",
        endpoint_id,
        now,
    )
    if reason == BY_CLIENT:
        return
    data = {"endpoint_id": endpoint_id, "reason": reason, "disabled_at": now.isoformat()}
    stream_id = f"webhook-endpoint-{endpoint_id}"
    version = await store.stream_version(stream_id, conn)
    event_id = new_event_id()
    envelope = Envelope(
        event_id=new_event_id(),
        event_type=DISABLED_EVENT,
        schema_version=1,
        stream_id=stream_id,
        stream_version=version + 1,
        occurred_at=now,
        tenant=tenant,
        correlation_id=event_id,
        data=data,
    )
    await store.append(
        stream_id,
        version,
        [NewEvent("WebhookEndpointDisabled", data, event_id=event_id)],
        tenant=tenant,
        outbox=[envelope],
        conn=conn,
    )
