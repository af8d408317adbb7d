"""The PostgreSQL log transport (embedded mode): a subscriber reads the producer's outbox in commit order.

All services share one database, each in its own schema. The outbox the producer writes in its appending
transaction *is* the log: a subscriber reads `<producer_schema>.outbox` with the commit-order reader and keeps
its checkpoint (one per group and topic) in its OWN schema's `checkpoints` table. It wakes on the producer's
NOTIFY channel and polls as a fallback. There are no partitions: one reader per group and topic, in commit
order, which is at least as strict as Kafka's per-key order.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import asyncpg

from services.bus.base import Delivery, ResumeFrom
from services.bus.wakeup import HorizonBackoff, PgWakeup, outbox_channel, rows_pending
from services.db import check_schema_name
from services.envelope import Envelope
from services.eventstore.types import LogPosition
from services.log_reader import load_checkpoint, read_committed, save_checkpoint

_COLUMNS = "position, topic, message_key, envelope, traceparent"

TopicSchemas = Mapping[str, str] | Callable[[str], str]


def producer_schema_of(topic: str) -> str:
    """`members.events` is written by the `members` schema's outbox."""
    return check_schema_name(topic.split(".", 1)[0])


def checkpoint_name(group: str, topic: str) -> str:
    return f"{group}:{topic}"


class PgLogSubscription:
    def __init__(self, transport: PgLogTransport, group: str, topics: Sequence[str]) -> None:
        self._t = transport
        self.group = group
        self.topics = list(dict.fromkeys(topics))
        self._schemas = {topic: transport.schema_of(topic) for topic in self.topics}
        # Per topic: how far rows were read, and the last position handed out and not yet acknowledged.
        self._read_to: dict[str, LogPosition] = {}
        self._last_handed: dict[str, LogPosition | None] = {}
        self._wakeup = PgWakeup(
            transport.pool, [outbox_channel(s) for s in self._schemas.values()], transport.poll_interval
        )
        self._backoff = HorizonBackoff(ceiling=transport.poll_interval)

    async def start(self) -> None:
        async with self._t.pool.acquire() as conn:
            for topic in self.topics:
                self._read_to[topic] = await load_checkpoint(conn, checkpoint_name(self.group, topic))
                self._last_handed[topic] = None
        await self._wakeup.start()

    async def fetch(self, max_records: int, max_wait: float) -> list[Delivery]:
        deadline = time.monotonic() + max_wait
        while True:
            out, progressed, pending = await self._read(max_records)
            if out or progressed:
                self._backoff.reset()
                return out
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            delay = self._backoff.next_delay() if pending else self._wakeup.poll_interval
            await self._wakeup.wait(min(remaining, delay))

    async def _read(self, max_records: int) -> tuple[list[Delivery], bool, bool]:
        """(deliveries, whether any row was read, whether committed rows wait behind the horizon)."""
        out: list[Delivery] = []
        progressed = pending = False
        async with self._t.pool.acquire() as conn:
            for topic in self.topics:
                room = max_records - len(out)
                if room <= 0:
                    break
                # The commit-order reader takes a bare table name: point search_path at the producer for
                # this read only (SET LOCAL ends with the transaction).
                async with conn.transaction(readonly=True):
                    await conn.execute(f"SET LOCAL search_path TO {self._schemas[topic]}")
                    rows = await read_committed(
                        conn, table="outbox", columns=_COLUMNS, after=self._read_to[topic], limit=room
                    )
                    if not rows:
                        pending = pending or await rows_pending(conn, "outbox", self._read_to[topic])
                if not rows:
                    continue
                progressed = True
                for row in rows:
                    # A producer's outbox may also carry other topics: step over them.
                    if row["topic"] != topic:
                        continue
                    position = LogPosition(row["tx_id"], row["position"])
                    out.append(_delivery(topic, row, position))
                    self._last_handed[topic] = position
                self._read_to[topic] = LogPosition(rows[-1]["tx_id"], rows[-1]["position"])
                if self._last_handed[topic] is None:
                    # Only rows of other topics and nothing awaiting acknowledgement: move on durably.
                    await save_checkpoint(conn, checkpoint_name(self.group, topic), self._read_to[topic])
        return out, progressed, pending

    async def commit(self, deliveries: Sequence[Delivery]) -> None:
        latest: dict[str, LogPosition] = {}
        for d in deliveries:
            assert d.log_position is not None
            if d.topic not in latest or d.log_position > latest[d.topic]:
                latest[d.topic] = d.log_position
        if not latest:
            return
        async with self._t.pool.acquire() as conn:
            for topic, position in latest.items():
                if position == self._last_handed.get(topic):
                    # Everything handed out is done: also skip the other topics' rows read after it.
                    position = self._read_to[topic]
                    self._last_handed[topic] = None
                await save_checkpoint(conn, checkpoint_name(self.group, topic), position)

    async def lag(self) -> dict[tuple[str, int], int]:
        """Committed outbox rows of each topic after the group's durable checkpoint (one partition: 0)."""
        behind = {}
        async with self._t.pool.acquire() as conn:
            for topic in self.topics:
                after = await load_checkpoint(conn, checkpoint_name(self.group, topic))
                async with conn.transaction(readonly=True):
                    await conn.execute(f"SET LOCAL search_path TO {self._schemas[topic]}")
                    behind[(topic, 0)] = await conn.fetchval(
                        "SELECT count(*) FROM outbox WHERE topic = $1"
                        " AND (tx_id, position) > ($2::text::xid8, $3::bigint)",
                        topic,
                        str(after.tx_id),
                        after.position,
                    )
        return behind

    async def close(self) -> None:
        await self._wakeup.close()


class PgLogTransport:
    """Subscriptions over producers' outbox tables. `pool` is the subscriber's (checkpoints live there)."""

    name = "postgres"

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        topic_schemas: TopicSchemas | None = None,
        poll_interval: float = 1.0,
    ) -> None:
        self.pool = pool
        self.poll_interval = poll_interval
        self._topic_schemas = topic_schemas

    def schema_of(self, topic: str) -> str:
        mapping = self._topic_schemas
        if mapping is None:
            return producer_schema_of(topic)
        if callable(mapping):
            return check_schema_name(mapping(topic))
        return check_schema_name(mapping.get(topic) or producer_schema_of(topic))

    def subscribe(
        self, group: str, topics: Sequence[str], resume_from: ResumeFrom | None = None
    ) -> PgLogSubscription:
        # The cursor is already the subscriber's own checkpoint: restored with its database, nothing to add.
        return PgLogSubscription(self, group, topics)

    async def publish_dead_letter(self, delivery: Delivery, error: str) -> None:
        """The `dead_letters` table (written by the consumer runner) is the dead-letter queue here."""

    async def close(self) -> None:
        """Nothing of its own to close: the pool belongs to the caller."""


def _delivery(topic: str, row: Any, position: LogPosition) -> Delivery:
    raw = row["envelope"]
    envelope = Envelope.model_validate(json.loads(raw) if isinstance(raw, str) else raw)
    return Delivery(
        envelope=envelope,
        topic=topic,
        partition=0,
        offset=row["position"],
        key=row["message_key"],
        traceparent=row["traceparent"] or envelope.traceparent,
        log_position=position,
    )
