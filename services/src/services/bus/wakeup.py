"""Waking log readers after a commit: NOTIFY after the appending transaction, LISTEN in the readers.

NOTIFY inside the appending transaction would take PostgreSQL's global notify lock at every commit, so
appends would serialise on it. The event store's `after_commit` hook calls `PgNotifier.notify` instead, which
sends at most one NOTIFY per channel at a time and folds a burst of commits into one more afterwards. A missed
notification costs latency only: readers poll anyway (every `poll_interval`).

Channels are per producing schema, not per topic: the relay, every PostgreSQL-transport subscriber of that
schema's topics and the projections all read the same two tables, so one wake-up serves them all.

Most readers run in the process that wrote (a service's relay and projections beside its command handlers), so
the notifier wakes this process's readers of a channel directly, and the NOTIFY, which only other processes'
readers need (a replica's relay, an embedded subscriber elsewhere), goes at most once per `spacing` per set of
channels: a hire's four commits cost one NOTIFY round trip and its listeners' wake-ups, not four (ADR 029).
Readers ignore a NOTIFY their own process sent: they were woken already.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
import weakref
from collections.abc import Callable, Iterable

import asyncpg

from services.db import check_schema_name
from services.eventstore.types import LogPosition
from services.log_reader import Conn

log = logging.getLogger(__name__)


def outbox_channel(schema: str) -> str:
    """Notified after a commit that wrote `<schema>.outbox` rows."""
    return f"{check_schema_name(schema)}.outbox"


def events_channel(schema: str) -> str:
    """Notified after a commit that wrote `<schema>.events` rows."""
    return f"{check_schema_name(schema)}.events"


class Process:
    """The readers of one process, by channel, and the token its NOTIFYs carry (readers tell their own)."""

    def __init__(self) -> None:
        self.token = uuid.uuid4().hex
        self._readers: dict[str, weakref.WeakSet[PgWakeup]] = {}

    def register(self, reader: PgWakeup) -> None:
        for channel in reader.channels:
            self._readers.setdefault(channel, weakref.WeakSet()).add(reader)

    def wake(self, channels: Iterable[str]) -> None:
        for channel in channels:
            readers = self._readers.get(channel)
            if readers is None:  # no reader of it here (no set made for nothing on a commit's path)
                continue
            for reader in list(readers):
                try:
                    reader.wake()
                except RuntimeError:  # waited on in an event loop now closed (tests run one loop each)
                    readers.discard(reader)


THIS_PROCESS = Process()
# Seconds between two NOTIFYs of a set of channels: the longest other processes' readers wait for a commit.
NOTIFY_SPACING = 0.02


class PgNotifier:
    """Wakes this process's readers at once, and NOTIFYs the others' outside the appending transaction,
    coalesced: one in flight per set of channels and at most one per `spacing`, a set in one statement (a
    commit wakes its schema's outbox and events readers in one round trip)."""

    def __init__(
        self, pool: asyncpg.Pool, *, process: Process = THIS_PROCESS, spacing: float = NOTIFY_SPACING
    ) -> None:
        self._pool = pool
        self._process = process
        self._spacing = spacing
        self._in_flight: dict[tuple[str, ...], asyncio.Task[None]] = {}
        self._again: set[tuple[str, ...]] = set()

    def notify(self, *channels: str) -> None:
        """Wake the channels' readers in this process and schedule a NOTIFY for the others'; never blocks,
        never raises (readers poll as a fallback)."""
        if not channels:
            return
        self._process.wake(channels)
        if channels in self._in_flight:
            # The NOTIFY in flight may reach readers before this commit is visible to them: send one more.
            self._again.add(channels)
            return
        self._in_flight[channels] = asyncio.get_running_loop().create_task(self._send(channels))

    def notify_schema(self, schema: str, *, outbox: bool = True, events: bool = True) -> None:
        channels = [outbox_channel(schema)] if outbox else []
        if events:
            channels.append(events_channel(schema))
        self.notify(*channels)

    def hook(self, schema: str, *, outbox: bool = True, events: bool = True) -> Callable[[], None]:
        """The `after_commit` callable for an `EventStore` writing in `schema`."""
        outbox_channel(schema)  # validates the name now rather than at the first commit
        return lambda: self.notify_schema(schema, outbox=outbox, events=events)

    async def _send(self, channels: tuple[str, ...]) -> None:
        try:
            while True:
                self._again.discard(channels)
                try:
                    await self._pool.execute(_NOTIFY, list(channels), self._process.token)
                except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError) as exc:
                    log.warning("NOTIFY %s failed (readers will poll): %s", ", ".join(channels), exc)
                    return
                await asyncio.sleep(self._spacing)  # commits meanwhile fold into one more NOTIFY
                if channels not in self._again:
                    return
        finally:
            self._in_flight.pop(channels, None)

    async def drain(self) -> None:
        """Wait for the NOTIFYs in flight (for a clean shutdown)."""
        while self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)


_NOTIFY = "SELECT pg_notify(channel, $2) FROM unnest($1::text[]) AS channel"


class PgWakeup:
    """Blocks a reader until one of its channels is notified or `poll_interval` passes.

    Use as: `rows = read(); if not rows: await wakeup.wait()`. The flag is cleared when `wait` returns, before
    the reader reads again, so a NOTIFY that arrives during a read makes the next `wait` return at once.
    Holds one pooled connection for LISTEN while started; if it breaks, the next `wait` listens again.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        channels: Iterable[str],
        poll_interval: float = 1.0,
        *,
        process: Process = THIS_PROCESS,
    ) -> None:
        self._pool = pool
        self.channels = list(dict.fromkeys(channels))
        self.poll_interval = poll_interval
        self._event = asyncio.Event()
        self._conn: asyncpg.pool.PoolConnectionProxy | None = None
        self._process = process
        process.register(self)

    def _on_notify(self, _conn: object, _pid: int, _channel: str, sender: object) -> None:
        if sender != self._process.token:  # this process's commits woke it already
            self._event.set()

    async def _ensure_listening(self) -> None:
        if self._conn is not None and not self._conn.is_closed():
            return
        await self._release()
        conn = await self._pool.acquire()
        try:
            for channel in self.channels:
                await conn.add_listener(channel, self._on_notify)
        except BaseException:
            await self._pool.release(conn)
            raise
        self._conn = conn
        # Something may have committed while nobody listened.
        self._event.set()

    async def start(self) -> None:
        with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            await self._ensure_listening()

    async def wait(self, max_wait: float | None = None) -> None:
        try:
            await self._ensure_listening()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("LISTEN %s failed, polling: %s", self.channels, exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), self.poll_interval if max_wait is None else max_wait)
        self._event.clear()

    def wake(self) -> None:
        """Wake the reader from this process (stop requests, tests)."""
        self._event.set()

    async def _release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(Exception):
            for channel in self.channels:
                await conn.remove_listener(channel, self._on_notify)
        with contextlib.suppress(Exception):
            await self._pool.release(conn)

    async def close(self) -> None:
        await self._release()


async def wait_for_wakeup(wakeup: PgWakeup, stop: asyncio.Event, max_wait: float | None = None) -> None:
    """`wakeup.wait(max_wait)`, cut short when `stop` is set."""
    stopper = asyncio.ensure_future(stop.wait())
    waiter = asyncio.ensure_future(wakeup.wait(max_wait))
    try:
        await asyncio.wait({stopper, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (stopper, waiter):
            task.cancel()
        await asyncio.gather(stopper, waiter, return_exceptions=True)


class HorizonBackoff:
    """How long a reader that found nothing waits before it reads again.

    A NOTIFY can arrive while the new rows are still above the xmin horizon (an older transaction anywhere in
    the database is still running), so the read after it finds nothing. Rows then exist after the cursor but
    are not readable yet: re-read soon, backing off, instead of sleeping until the next poll.
    """

    def __init__(self, first: float = 0.01, ceiling: float = 1.0) -> None:
        self.first = first
        self.ceiling = ceiling
        self._next = first

    def reset(self) -> None:
        self._next = self.first

    def next_delay(self) -> float:
        delay, self._next = self._next, min(self._next * 2, self.ceiling)
        return delay


async def rows_pending(conn: Conn, table: str, after: LogPosition, position_column: str = "position") -> bool:
    """Whether `table` has rows after `after` whatever their transactions' state (the horizon is ignored).

    The first row in the (tx_id, position) index's order, not EXISTS: the generic plan of the prepared EXISTS
    guessed a third of the table matches and scanned all of it when nothing did (1-2 ms at a few thousand
    rows, and growing with the table); ORDER BY with LIMIT keeps it on the index.
    """
    check_schema_name(table)
    check_schema_name(position_column)
    found = await conn.fetchval(
        f"SELECT true FROM {table}"
        f" WHERE (tx_id, {position_column}) > ($1::text::xid8, $2::bigint)"
        f" ORDER BY tx_id, {position_column} LIMIT 1",
        str(after.tx_id),
        after.position,
    )
    return bool(found)
