"""The projection runner: read models kept from the service's own `events` table, rebuildable from zero.

Each batch is one transaction: take the projection's lock, load its checkpoint, read the next events in
commit order, apply them, save the checkpoint. Read-model rows and checkpoint commit together, so a crash
never applies an event twice or skips one, and a rebuild (reset + checkpoint to the start, in one
transaction) can run beside a live runner: the lock serialises their batches, each re-reads the checkpoint.

Round trips are what a batch costs here (each one more CPU than the work of a short handler; ADR 029): the
running service takes all its projections together, one transaction a batch (their locks and checkpoints in
one call, the events read once, each applied to the projections behind it, the checkpoints saved in one
statement), one projection at a time only when a batch together failed, so that one broken projection
does not hold the others back. A batch shorter than its limit ends the catch-up (what commits later sends
its own NOTIFY), and the check for rows held behind the horizon is one query for every projection.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Sequence
from typing import Protocol

import asyncpg

from services.bus.wakeup import HorizonBackoff, PgWakeup, events_channel, wait_for_wakeup
from services.eventstore.store import EventStore
from services.eventstore.types import LogPosition, RecordedEvent
from services.log_reader import Conn, load_checkpoint, save_checkpoint

_LOCK_AND_LOAD = (
    "SELECT name, tx_id, position FROM lock_and_load_checkpoints($1, $2)"  # chassis migration 003
)
_SAVE_CHECKPOINTS = (
    "INSERT INTO checkpoints (name, tx_id, position, updated_at)"
    " SELECT name, $2::text::xid8, $3, now() FROM unnest($1::text[]) AS n (name) ORDER BY name"
    " ON CONFLICT (name) DO UPDATE SET tx_id = excluded.tx_id, position = excluded.position,"
    " updated_at = excluded.updated_at"
)
# Rows after the lowest checkpoint of the runner's projections (a missing checkpoint is the log's start),
# whatever their transactions' state: rows_pending for several checkpoints in one round trip (ordered as
# the index for the reason rows_pending gives).
_PENDING_AFTER_LOWEST = """
SELECT true FROM events
WHERE (tx_id, global_position) > (
    SELECT coalesce(c.tx_id, '0'::xid8), coalesce(c.position, 0)
    FROM unnest($1::text[]) AS n (name) LEFT JOIN checkpoints c ON c.name = n.name
    ORDER BY 1, 2 LIMIT 1
)
ORDER BY tx_id, global_position LIMIT 1"""

log = logging.getLogger(__name__)


class Projection(Protocol):
    """A read model: `handle` applies one event on the batch's connection; `reset` empties the read model."""

    @property
    def name(self) -> str: ...

    async def handle(self, conn: Conn, event: RecordedEvent) -> None: ...

    async def reset(self, conn: Conn) -> None: ...


def checkpoint_name(projection: Projection) -> str:
    return f"projection:{projection.name}"


def _lock_key(projection: Projection) -> int:
    digest = hashlib.sha256(checkpoint_name(projection).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class ProjectionRunner:
    """Keeps `projections` up to date with `<schema>.events` (pool's search_path is the service schema)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        projections: Sequence[Projection],
        *,
        schema: str,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        retry_delay: float = 1.0,
    ) -> None:
        self._pool = pool
        self._store = EventStore(pool)
        self.projections = list(projections)
        self.batch_size = batch_size
        self.retry_delay = retry_delay
        self._wakeup = PgWakeup(pool, [events_channel(schema)], poll_interval)
        self._horizon = HorizonBackoff(ceiling=poll_interval)

    async def step(self, projection: Projection) -> int:
        """Apply the projection's next batch in one transaction; the number of events applied."""
        return await self._step([projection])

    async def _step(self, projections: Sequence[Projection]) -> int:
        if not projections:
            return 0
        ordered = sorted(projections, key=_lock_key)  # locks always taken in one order: no deadlock
        names = [checkpoint_name(p) for p in ordered]
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(_LOCK_AND_LOAD, [_lock_key(p) for p in ordered], names)
            at = {
                row["name"]: LogPosition.start()
                if row["tx_id"] is None
                else LogPosition(row["tx_id"], row["position"])
                for row in rows
            }
            behind = [(projection, at[name]) for projection, name in zip(ordered, names, strict=True)]
            events = await self._store.read_all(min(at.values()), self.batch_size, conn=conn)
            for event in events:
                for projection, position in behind:
                    if event.log_position > position:
                        await projection.handle(conn, event)
            if events:
                last = events[-1].log_position
                moved = [checkpoint_name(p) for p, position in behind if last > position]
                await conn.execute(_SAVE_CHECKPOINTS, moved, str(last.tx_id), last.position)
            return len(events)

    async def catch_up(self, projection: Projection) -> int:
        """Apply batches until one is short of the limit (nothing committed was left when it read); the
        number of events applied."""
        return await self._catch_up([projection])

    async def _catch_up(self, projections: Sequence[Projection]) -> int:
        """`catch_up` for the projections together; the number of events read."""
        total = 0
        while (applied := await self._step(projections)) > 0:
            total += applied
            if applied < self.batch_size:
                break
        return total

    async def rebuild(self, projection: Projection) -> int:
        """Empty the read model and replay every event from the start; the number of events replayed.

        Reset and rewound checkpoint commit together, so readers see either the old model or the rebuild in
        progress, and a crash mid-rebuild simply resumes it.
        """
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _lock_key(projection))
            await projection.reset(conn)
            await save_checkpoint(conn, checkpoint_name(projection), LogPosition.start())
        return await self.catch_up(projection)

    async def _rows_pending(self) -> bool:
        """Whether events exist after the lowest checkpoint, committed or not (the horizon ignored)."""
        names = [checkpoint_name(p) for p in self.projections]
        async with self._pool.acquire() as conn:
            return bool(await conn.fetchval(_PENDING_AFTER_LOWEST, names))

    async def position(self, projection: Projection) -> LogPosition:
        async with self._pool.acquire() as conn:
            return await load_checkpoint(conn, checkpoint_name(projection))

    async def run(self, stop: asyncio.Event) -> None:
        """Keep every projection caught up until `stop` is set; woken by the events NOTIFY, else polls."""
        await self._wakeup.start()
        try:
            while not stop.is_set():
                failed = applied = False
                try:
                    applied = await self._catch_up(self.projections) > 0
                except Exception as exc:
                    log.info("projections together failed (%r); one at a time", exc)
                    for projection in self.projections:
                        try:
                            applied = await self.catch_up(projection) > 0 or applied
                        except Exception:
                            # Its checkpoint did not move: the same batch is tried again after a pause.
                            failed = True
                            log.exception("projection %s failed", projection.name)
                if stop.is_set():
                    break
                if failed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self.retry_delay)
                else:
                    if applied:
                        self._horizon.reset()
                    pending = await self._rows_pending()
                    await wait_for_wakeup(self._wakeup, stop, self._horizon.next_delay() if pending else None)
        finally:
            await self._wakeup.close()
