"""Messages and deliveries: the fan-out of a public event, replays, and the attempts log.

The fan-out is a bus consumer: the runner records the event in the inbox in the same transaction, so each
public event makes its message and its deliveries exactly once, whatever the bus redelivers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from gateway.outbound.catalogue import webhook_event
from services.consumer import Handler
from services.envelope import Envelope
from services.log_reader import Conn

Clock = Callable[[], datetime]
# A range replay re-sends at most this many messages; narrow the range for more.
REPLAY_LIMIT = 10_000


def message_id_of(envelope: Envelope) -> str:
    return f"msg_{envelope.event_id.hex}"


def fan_out(clock: Clock) -> Handler:
    """The consumer's handler: one message per catalogued event, one delivery per subscribed endpoint."""

    async def handle(conn: Conn, envelope: Envelope) -> None:
        event = webhook_event(envelope)
        if event is None:
            return
        now = clock()
        message_id = message_id_of(envelope)
        payload = {
            "id": message_id,
            "type": event.type,
            "created_at": envelope.occurred_at.isoformat().replace("+00:00", "Z"),
            "data": {"object": event.object, "id": event.object_id},
        }
        # The message and its deliveries in one statement: a round trip costs more than either insert.
        await conn.execute(
            """WITH message AS (
                   INSERT INTO webhook_messages (id, tenant, event_type, payload, source_event_id, created_at)
                   VALUES ($1, $2, $3, $4::jsonb, $5, $6) ON CONFLICT (id) DO NOTHING
               )
               INSERT INTO webhook_deliveries (endpoint_id, message_id, tenant, next_attempt_at, created_at)
               SELECT id, $1, tenant, $7, $7 FROM webhook_endpoints
               WHERE tenant = $2 AND enabled AND $3 = ANY (event_types)""",
            message_id,
            envelope.tenant,
            event.type,
            json.dumps(payload),
            envelope.event_id,
            envelope.occurred_at,
            now,
        )

    return handle


async def replay_message(conn: Conn, tenant: str, endpoint_id: str, message_id: str, now: datetime) -> int:
    """Enqueues the tenant's message again for the endpoint; 0 when the tenant has no such message."""
    done = await conn.fetchval(
        """INSERT INTO webhook_deliveries (endpoint_id, message_id, tenant, next_attempt_at, created_at)
           SELECT $2, id, tenant, $4, $4 FROM webhook_messages WHERE tenant = $1 AND id = $3
           RETURNING 1""",
        tenant,
        endpoint_id,
        message_id,
        now,
    )
    return int(done or 0)


async def replay_range(
    conn: Conn,
    tenant: str,
    endpoint_id: str,
    event_types: list[str],
    start: datetime,
    end: datetime,
    now: datetime,
) -> int:
    """Enqueues again the tenant's messages of the subscribed types created in [start, end)."""
    status = await conn.execute(
        """INSERT INTO webhook_deliveries (endpoint_id, message_id, tenant, next_attempt_at, created_at)
           SELECT $2, id, tenant, $6, $6 FROM (
               SELECT id, tenant FROM webhook_messages
               WHERE tenant = $1 AND event_type = ANY ($3) AND created_at >= $4 AND created_at < $5
               ORDER BY created_at LIMIT $7
           ) AS chosen""",
        tenant,
        endpoint_id,
        event_types,
        start,
        end,
        now,
        REPLAY_LIMIT,
    )
    return int(status.rsplit(" ", 1)[-1])


@dataclass(frozen=True)
class Attempt:
    id: int
    delivery_id: int
    message_id: str
    attempted_at: datetime
    succeeded: bool
    status_code: int | None
    duration_ms: int
    response_body: str | None
    error: str | None


def _attempt(row: asyncpg.Record) -> Attempt:
    values: dict[str, Any] = dict(row.items())
    return Attempt(**values)


async def attempts_page(
    conn: Conn, endpoint_id: str, *, limit: int, before_id: int | None
) -> tuple[list[Attempt], bool]:
    """Newest first. The caller has checked that the endpoint is the tenant's."""
    rows = await conn.fetch(
        """SELECT id, delivery_id, message_id, attempted_at, succeeded, status_code, duration_ms,
                  response_body, error
           FROM webhook_attempts WHERE endpoint_id = $1 AND ($2::bigint IS NULL OR id < $2)
           ORDER BY id DESC LIMIT $3""",
        endpoint_id,
        before_id,
        limit + 1,
    )
    return [_attempt(row) for row in rows[:limit]], len(rows) > limit
