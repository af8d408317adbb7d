"""The internal ops API every service runtime mounts: its pipeline's state, its dead letters, a replay.

The gateway's ops page reads it with the internal token, like any internal call; a caller without the `ops`
scope is refused. Dead letters are shown by id, event type, error and dates, never with their payload (it may
hold personal data). Replaying runs the consumer's own handler (services.consumer.replay_dead_letter).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, Query, Request

from services.consumer import ConsumerRunner, dead_letter_count
from services.http.problems import Problem
from services.internal_token import Caller
from services.relay import OutboxRelay

OPS_SCOPE = "ops"
PREFIX = "/internal/ops"
ERROR_SHOWN = 300  # characters of the error kept: enough to recognise it, little room for data


@dataclass(frozen=True)
class PipelineOps:
    """What a running service shows its operators; getters, as the runners exist only once it started."""

    service: str
    pool: Callable[[], asyncpg.Pool]
    relay: Callable[[], OutboxRelay | None]
    consumers: Callable[[], Sequence[ConsumerRunner]]

    async def status(self) -> dict[str, Any]:
        relay = self.relay()
        outbox = None
        if relay is not None:
            outbox = {
                "backlog": await relay.backlog(),
                "oldest_age_seconds": await relay.oldest_unpublished_age() or 0.0,
            }
        consumers = []
        for runner in self.consumers():
            behind = await runner.lag_by_partition()
            consumers.append(
                {
                    "name": runner.name,
                    "subscribed": behind is not None,
                    "lag_messages": sum((behind or {}).values()),
                    # This instance's share of the group: shows partitions moving between replicas.
                    "partitions": sorted(f"{topic}:{partition}" for topic, partition in behind or {}),
                    "dead_letters": await dead_letter_count(self.pool(), runner.name),
                }
            )
        return {"service": self.service, "outbox": outbox, "consumers": consumers}

    async def dead_letters(self, limit: int) -> list[dict[str, Any]]:
        rows = await self.pool().fetch(
            "SELECT id, consumer, topic, event_id, envelope->>'event_type' AS event_type, error, attempts,"
            " failed_at FROM dead_letters WHERE replayed_at IS NULL ORDER BY id LIMIT $1",
            limit,
        )
        return [
            {
                "id": row["id"],
                "service": self.service,
                "consumer": row["consumer"],
                "topic": row["topic"],
                "event_id": str(row["event_id"]),
                "event_type": row["event_type"],
                "error": row["error"][:ERROR_SHOWN],
                "attempts": row["attempts"],
                "failed_at": row["failed_at"].isoformat(),
            }
            for row in rows
        ]

    async def replay(self, dead_letter_id: int) -> bool:
        """True once replayed; False when no pending dead letter of this service has this id."""
        consumer = await self.pool().fetchval(
            "SELECT consumer FROM dead_letters WHERE id = $1 AND replayed_at IS NULL", dead_letter_id
        )
        runner = next((r for r in self.consumers() if r.name == consumer), None)
        if runner is None:
            return False
        return await runner.replay_dead_letter(dead_letter_id)


def ops_router(ops: PipelineOps) -> APIRouter:
    # Imported here: services.caller reads the runtime's Resources, and the runtime mounts this router.
    from services.caller import current_caller

    async def operator(request: Request) -> Caller:
        caller = await current_caller(request)
        if not caller.may(OPS_SCOPE):
            raise Problem(403, "insufficient_scope", detail=f"this call needs the {OPS_SCOPE!r} scope")
        return caller

    router = APIRouter(prefix=PREFIX, include_in_schema=False, dependencies=[Depends(operator)])

    @router.get("/status")
    async def status() -> dict[str, Any]:
        return await ops.status()

    @router.get("/dead_letters")
    async def dead_letters(limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
        return {"data": await ops.dead_letters(limit)}

    @router.post("/dead_letters/{dead_letter_id}/replay")
    async def replay(dead_letter_id: int) -> dict[str, Any]:
        try:
            replayed = await ops.replay(dead_letter_id)
        except Exception as exc:  # the handler still fails: the dead letter stays, the operator is told why
            raise Problem(
                409, "replay_failed", detail=f"the handler failed again: {type(exc).__name__}"
            ) from exc
        if not replayed:
            raise Problem(404, "dead_letter_not_found", detail="no pending dead letter with this id")
        return {"id": dead_letter_id, "replayed": True}

    return router


def ops_of(request: Request) -> PipelineOps:
    """The service's own ops view (the gateway reads its own pipeline without an HTTP call)."""
    ops: PipelineOps = request.app.state.ops
    return ops
