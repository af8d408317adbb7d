"""The consumer runner: effects exactly once over an at-least-once bus.

For each delivery, one transaction records `(consumer, event_id)` in the inbox and runs the handler; a repeat
finds the inbox row and does nothing. The transport is acknowledged only after the batch's transactions have
committed, so a crash anywhere (SIGKILL included) redelivers what was not acknowledged and loses nothing.

A handler that keeps failing is retried with exponential backoff, `max_attempts` times in all; then the
message is written to `dead_letters` (with its inbox row, so a redelivery does not dead-letter it twice), sent
to `<topic>.dlq` on Kafka, and the runner moves on. `replay_dead_letter` runs it again once the handler is
fixed. A failure that says something the handler needs is unavailable, not that the message is wrong (the
handler raises `RetryLater`, or the database or a peer cannot be reached), is retried with the same capped
backoff for as long as the runner runs and never dead-lettered: a service restarting for longer than the
attempts last must not turn a good message into a dead letter (the chaos suite lost acknowledged hires so).

On Kafka the group's offsets live on the broker, not with the effects: a database restored from a backup would
resume where the broker says, past the effects the restore took away. So after each batch's effects the
runner also records, in the service's own `checkpoints`, the next offset of each partition, and a
subscription starts each assigned partition from there (the PostgreSQL log's cursor is such a checkpoint).
That record being the one a partition resumes from, the broker is told the offsets at most once a second
(and at once when the topic goes quiet): they only feed the lag figures there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from services.bus.base import Delivery, Subscription, Transport
from services.envelope import Envelope
from services.log_reader import Conn
from services.metrics import (
    CONSUMER_DEAD_LETTERS,
    CONSUMER_HANDLER_DURATION,
    CONSUMER_HANDLER_FAILURES,
    CONSUMER_LAG_SECONDS,
    CONSUMER_MESSAGES,
)
from services.telemetry import context_from_traceparent

log = logging.getLogger(__name__)

Handler = Callable[[Conn, Envelope], Awaitable[None]]


@dataclass(frozen=True)
class InMemory:
    """A handler whose effects live in this process's memory (a cache it keeps), not in the database: the
    runner gives it no connection and records nothing of what it handled (no inbox, no offsets, no
    transaction). A restart resumes from the group's offsets on the broker, so a message may be handled
    again: the effect must bear it (an entry dropped twice is dropped once). A message that keeps failing is
    dead-lettered as any other."""

    handle: Callable[[Envelope], Awaitable[None]]


_tracer = trace.get_tracer(__name__)
KAFKA_ACK_INTERVAL = 1.0  # seconds between offset commits to the broker while messages keep coming

_INBOX = "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true"
# Never moves back: a partition redelivered from an older offset (after a rebalance) keeps what was recorded.
# Every partition of a batch in one statement (sorted by name: concurrent savers lock rows in one order).
_UPSERT_OFFSETS = (
    "INSERT INTO checkpoints (name, tx_id, position, updated_at)"
    " SELECT name, '0'::xid8, position, now() FROM unnest({names}::text[], {positions}::bigint[])"
    " AS o (name, position) ORDER BY name"
    " ON CONFLICT (name) DO UPDATE SET position = greatest(checkpoints.position, excluded.position),"
    " updated_at = excluded.updated_at"
)
_SAVE_OFFSETS = _UPSERT_OFFSETS.format(names="$1", positions="$2")
# A batch whose last transaction commits after all its others (one transaction, or its messages one after
# another) saves its offsets in that one, in the inbox's statement (no round trip of their own); a batch of
# lanes side by side passes none and saves them once all its transactions committed.
_INBOX_AND_OFFSETS = (
    f"WITH offsets AS ({_UPSERT_OFFSETS.format(names='$3', positions='$4')})"
    " INSERT INTO inbox (consumer, event_id) SELECT $1, id FROM unnest($2::uuid[]) AS id"
    " ON CONFLICT DO NOTHING RETURNING event_id"
)


@dataclass(frozen=True)
class Offsets:
    """A batch's next offsets, by checkpoint name (`kafka-offset:<consumer>:<topic>:<partition>`); none on
    the PostgreSQL log, whose cursor is its subscription's."""

    names: list[str] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)


NO_OFFSETS = Offsets()  # a transaction that saves none (never mutated)


@dataclass(frozen=True)
class RetryPolicy:
    """`max_attempts` tries in all; the n-th retry waits `base_delay * 2**(n-1)`, capped at `max_delay`."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, failed_attempts: int) -> float:
        return float(min(self.max_delay, self.base_delay * 2 ** (failed_attempts - 1)))


class RetryLater(Exception):
    """Raised by a handler when what it needs is unavailable (a service down, a partner answering 503), not
    because of the message: tried again until it passes, never dead-lettered."""


# Unavailability, not a bad message: a peer or the database unreachable, timed out, restarting.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    RetryLater,
    OSError,  # ConnectionError, TimeoutError
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up
    asyncpg.TooManyConnectionsError,
)


class _Stopped(Exception):
    """Raised inside the loop when a stop is requested during a retry wait: leave unacknowledged."""


class ConsumerRunner:
    """Runs `handle` for every message of `topics`, as consumer (and group) `name`.

    `handle(conn, envelope)` runs inside the effect's transaction on `conn`; it ignores event types it does
    not know. `service` labels its metrics (services.metrics); the counters `processed`, `skipped` (repeats)
    and `dead_lettered` are the same figures for tests.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        transport: Transport,
        name: str,
        topics: Sequence[str],
        handle: Handler | InMemory,
        *,
        retry: RetryPolicy | None = None,
        batch_size: int = 100,
        fetch_timeout: float = 0.5,
        restart_delay: float = 1.0,
        tracer: trace.Tracer | None = None,
        service: str = "",
        concurrency: int = 1,
        messages_per_transaction: int = 1,
        linger: float = 0.0,
    ) -> None:
        if concurrency < 1 or messages_per_transaction < 1:
            raise ValueError("concurrency and messages_per_transaction are at least 1")
        if linger < 0:
            raise ValueError("linger is a duration in seconds, at least 0")
        self.concurrency = concurrency
        self.linger = linger
        self.messages_per_transaction = messages_per_transaction
        self._tracer = tracer or _tracer
        self.service = service
        self._pool = pool
        self._transport = transport
        self.name = name
        self.topics = list(topics)
        self._remember = handle.handle if isinstance(handle, InMemory) else None
        self._handle = _without_connection(handle) if isinstance(handle, InMemory) else handle
        self.retry = retry or RetryPolicy()
        self.batch_size = batch_size
        self.fetch_timeout = fetch_timeout
        self.restart_delay = restart_delay
        self._stop = asyncio.Event()
        self._subscription: Subscription | None = None
        self.processed = 0
        self.skipped = 0
        self.dead_lettered = 0

    def stop(self) -> None:
        self._stop.set()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Consume until `stop()` (or the given event). A stop never acknowledges a half-done batch."""
        stopper = None if stop is None else asyncio.ensure_future(self._forward(stop))
        try:
            while not self._stop.is_set():
                # An in-memory consumer has no record of its own: the broker's offsets say where it got to.
                resume_from = None if self._remember else self._resume_from
                subscription = self._transport.subscribe(self.name, self.topics, resume_from)
                self._subscription = subscription
                try:
                    await subscription.start()
                    await self._consume(subscription)
                except _Stopped:
                    break
                except Exception:
                    # Broker or database trouble: start again from the last acknowledgement.
                    log.exception("consumer %s failed; restarting in %.1fs", self.name, self.restart_delay)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), self.restart_delay)
                finally:
                    with contextlib.suppress(Exception):
                        await subscription.close()
        finally:
            if stopper is not None:
                stopper.cancel()

    async def _forward(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._stop.set()

    async def _consume(self, subscription: Subscription) -> None:
        on_kafka = self._transport.name == "kafka"
        unacknowledged: list[Delivery] = []  # done and saved in the database, not yet told the broker
        acknowledged_at = time.monotonic()
        try:
            while not self._stop.is_set():
                deliveries = await self._fetch(subscription)
                # What a (re)assigned partition resumes from, saved after the batch's effects or with them.
                offsets = self._offsets_of(deliveries) if on_kafka else NO_OFFSETS
                saved = await self._process_batch(deliveries, offsets)
                if not on_kafka:
                    if deliveries:
                        await subscription.commit(deliveries)  # the PostgreSQL log's cursor is its record
                    continue
                if deliveries:
                    if not saved:
                        await self._pool.execute(_SAVE_OFFSETS, offsets.names, offsets.positions)
                    unacknowledged += deliveries
                # The broker's copy of the offsets only feeds the lag figures: told at most once a
                # KAFKA_ACK_INTERVAL, and at once when the topic goes quiet (an offset commit per batch cost
                # the broker more CPU than the records at a steady load; ADR 029).
                quiet = not deliveries
                if unacknowledged and (quiet or time.monotonic() - acknowledged_at >= KAFKA_ACK_INTERVAL):
                    await subscription.commit(unacknowledged)
                    unacknowledged, acknowledged_at = [], time.monotonic()
        finally:
            if unacknowledged:
                with contextlib.suppress(Exception):
                    await subscription.commit(unacknowledged)

    async def _process_batch(self, deliveries: Sequence[Delivery], offsets: Offsets) -> bool:
        """One key's messages in order; with `concurrency` > 1, up to that many keys side by side. True when
        `offsets` were saved in the transaction of the batch's last effects.

        A key is one aggregate's stream, the only order the bus promises (a Kafka partition mixes keys), so
        a handler whose effects touch only the message's own aggregates can take `concurrency`: a consumer
        waiting on commits or on a peer's answer no longer waits for each message in turn. The batch is
        acknowledged only once every lane is done; a lane that fails (or a stop) leaves it unacknowledged.
        With `messages_per_transaction` > 1 a lane takes several keys, in turn, and commits them together.
        An in-memory handler takes the batch in order, with nothing to save.
        """
        if self._remember is not None:
            for delivery in deliveries:
                await self._process(delivery)
            return True
        if self.messages_per_transaction > 1:
            lanes = _lanes_of_keys(deliveries, self.concurrency)
            if len(lanes) == 1 and len(lanes[0]) <= self.messages_per_transaction:
                return await self._process_together(lanes[0], offsets)
            await self._side_by_side(lanes, self._process_together)
            return False
        if not deliveries:
            return False
        if self.concurrency == 1 or len(deliveries) == 1:
            for delivery in deliveries[:-1]:
                await self._process(delivery)
            return await self._process(deliveries[-1], offsets)  # the batch's offsets with the last one
        gate = asyncio.Semaphore(self.concurrency)

        async def one_key(queue: list[Delivery]) -> None:
            async with gate:
                for delivery in queue:
                    await self._process(delivery)

        await self._side_by_side(_by_key(deliveries), one_key)
        return False

    @staticmethod
    async def _side_by_side(
        lanes: list[list[Delivery]], run: Callable[[list[Delivery]], Coroutine[Any, Any, object]]
    ) -> None:
        if len(lanes) == 1:
            await run(lanes[0])
            return
        try:
            async with asyncio.TaskGroup() as group:
                for lane in lanes:
                    group.create_task(run(lane))
        except BaseExceptionGroup as failed:
            stopped = failed.subgroup(_Stopped)
            raise (stopped or failed).exceptions[0] from None

    async def _process_together(self, lane: list[Delivery], offsets: Offsets = NO_OFFSETS) -> bool:
        """The lane's messages `messages_per_transaction` at a time, each slice in one transaction (one
        inbox insert, one commit): a handler of a few short statements spends less on its transaction
        than on its work. A slice that fails is rolled back whole and run again one message at a time, so
        a bad message is retried and dead-lettered alone, as without slices. `offsets`: the batch's, for
        a lane that is the whole batch in one slice; True when they were saved with it."""
        slices = range(0, len(lane), self.messages_per_transaction)
        with_offsets = offsets if len(slices) == 1 else NO_OFFSETS
        saved = bool(with_offsets.names)
        for start in slices:
            part = lane[start : start + self.messages_per_transaction]
            try:
                handled = await self._apply_together(part, with_offsets)
            except Exception as exc:
                log.info(
                    "consumer %s: %d messages together failed (%r); one at a time", self.name, len(part), exc
                )
                for delivery in part:
                    await self._process(delivery)
                saved = False
                continue
            for delivery, done in handled:
                self._count(delivery, done)
        return saved

    async def _apply_together(self, part: list[Delivery], offsets: Offsets) -> list[tuple[Delivery, bool]]:
        """The slice's inbox rows, `offsets` and effects in one transaction; each message's (delivery, first
        time)."""
        handled = []
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                _INBOX_AND_OFFSETS,
                self.name,
                [d.envelope.event_id for d in part],
                offsets.names,
                offsets.positions,
            )
            first_time = {row["event_id"] for row in rows}
            for delivery in part:
                event_id = delivery.envelope.event_id
                done = event_id in first_time
                first_time.discard(event_id)  # the same message twice in one slice: handled once
                if done:
                    with self._span(delivery):
                        started = time.perf_counter()
                        await self._handle(conn, delivery.envelope)
                        self._observe(delivery, started)
                handled.append((delivery, done))
        return handled

    def _offset_checkpoint(self, topic: str, partition: int) -> str:
        return f"kafka-offset:{self.name}:{topic}:{partition}"

    async def _resume_from(self, topic: str, partition: int) -> int | None:
        position = await self._pool.fetchval(
            "SELECT position FROM checkpoints WHERE name = $1", self._offset_checkpoint(topic, partition)
        )
        return None if position is None else int(position)

    def _offsets_of(self, deliveries: Sequence[Delivery]) -> Offsets:
        """Each partition's next offset after the batch, by checkpoint name; saved with the batch's effects
        or after them (never ahead), before the broker's acknowledgement."""
        offsets: dict[str, int] = {}
        for d in deliveries:
            name = self._offset_checkpoint(d.topic, d.partition)
            offsets[name] = max(offsets.get(name, 0), d.offset + 1)
        return Offsets(list(offsets), list(offsets.values()))

    async def _fetch(self, subscription: Subscription) -> list[Delivery]:
        """The next batch, or nothing once a stop is requested (an interrupted fetch acknowledged nothing).

        With `linger`, a fetch that found fewer messages than a batch waits that long for more (what a batch
        costs is mostly per batch: its transaction, its offsets, its acknowledgement)."""
        deliveries = await self._fetch_once(subscription, self.batch_size, self.fetch_timeout)
        if self.linger and 0 < len(deliveries) < self.batch_size:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.linger)  # a batching delay, not a sync
            if not self._stop.is_set():
                deliveries += await self._fetch_once(subscription, self.batch_size - len(deliveries), 0.0)
        return deliveries

    async def _fetch_once(self, subscription: Subscription, size: int, max_wait: float) -> list[Delivery]:
        fetching = asyncio.ensure_future(subscription.fetch(size, max_wait))
        stopping = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({fetching, stopping}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            fetching.cancel()
            raise
        finally:
            stopping.cancel()
        if fetching.done():
            return fetching.result()
        fetching.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await fetching
        return []

    async def _process(self, delivery: Delivery, offsets: Offsets = NO_OFFSETS) -> bool:
        """Handle one delivery in a `process <topic>` span whose parent is the message's own trace context;
        True when `offsets` were saved with its effects (not when it was dead-lettered)."""
        with self._span(delivery):
            started = time.perf_counter()
            saved = await self._process_with_retries(delivery, offsets)
            self._observe(delivery, started)
        return saved

    def _span(self, delivery: Delivery) -> contextlib.AbstractContextManager[trace.Span]:
        parent = context_from_traceparent(delivery.traceparent or delivery.envelope.traceparent)
        return self._tracer.start_as_current_span(
            f"process {delivery.topic}",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": self._transport.name,
                "messaging.operation.type": "process",
                "messaging.destination.name": delivery.topic,
                "messaging.consumer.group.name": self.name,
                "messaging.message.id": str(delivery.envelope.event_id),
            },
        )

    def _observe(self, delivery: Delivery, started: float) -> None:
        CONSUMER_HANDLER_DURATION.labels(self.service, self.name, delivery.envelope.event_type).observe(
            time.perf_counter() - started
        )
        # How far behind this partition was: the message's age as it is handled (occurred_at is UTC).
        age = time.time() - delivery.envelope.occurred_at.timestamp()
        CONSUMER_LAG_SECONDS.labels(self.service, self.name, delivery.topic, str(delivery.partition)).set(
            max(0.0, age)
        )

    def _count(self, delivery: Delivery, done: bool) -> None:
        if done:
            self.processed += 1
        else:
            self.skipped += 1
        CONSUMER_MESSAGES.labels(self.service, self.name, "processed" if done else "repeat").inc()

    async def _process_with_retries(self, delivery: Delivery, offsets: Offsets) -> bool:
        failures = unavailable = 0
        while True:
            try:
                done = await self._apply(delivery.envelope, offsets)
            except Exception as exc:
                CONSUMER_HANDLER_FAILURES.labels(self.service, self.name, delivery.envelope.event_type).inc()
                if isinstance(exc, _UNAVAILABLE):
                    unavailable += 1
                    delay = self.retry.delay(min(unavailable, 16))  # capped at max_delay; no attempt limit
                else:
                    failures += 1
                    if failures >= self.retry.max_attempts:
                        await self._dead_letter(delivery, exc, failures)
                        return False
                    delay = self.retry.delay(failures)
                log.warning(
                    "consumer %s: %s %s failed (attempt %d/%d, unavailable %d), retrying in %.2fs: %r",
                    self.name,
                    delivery.envelope.event_type,
                    delivery.envelope.event_id,
                    failures,
                    self.retry.max_attempts,
                    unavailable,
                    delay,
                    exc,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                if self._stop.is_set():
                    raise _Stopped from exc
                continue
            self._count(delivery, done)
            return bool(offsets.names)

    async def _apply(self, envelope: Envelope, offsets: Offsets) -> bool:
        """The inbox row, `offsets` and the effects in one transaction; False when the message was already
        processed. An in-memory handler's effect alone."""
        if self._remember is not None:
            await self._remember(envelope)
            return True
        async with self._pool.acquire() as conn, conn.transaction():
            first = await conn.fetch(
                _INBOX_AND_OFFSETS, self.name, [envelope.event_id], offsets.names, offsets.positions
            )
            if not first:
                return False
            await self._handle(conn, envelope)
            return True

    async def _dead_letter(self, delivery: Delivery, exc: BaseException, attempts: int) -> None:
        error = f"{type(exc).__name__}: {exc}"
        log.error(
            "consumer %s: %s %s dead-lettered after %d attempts: %s",
            self.name,
            delivery.envelope.event_type,
            delivery.envelope.event_id,
            attempts,
            error,
        )
        async with self._pool.acquire() as conn, conn.transaction():
            # The inbox row makes a redelivery (crash before the ack) skip it instead of dead-lettering again.
            first = await conn.fetchval(_INBOX, self.name, delivery.envelope.event_id)
            if first:
                await conn.execute(
                    "INSERT INTO dead_letters (consumer, topic, event_id, envelope, error, attempts)"
                    " VALUES ($1, $2, $3, $4::text::jsonb, $5, $6)",
                    self.name,
                    delivery.topic,
                    delivery.envelope.event_id,
                    delivery.envelope.model_dump_json(),
                    error,
                    attempts,
                )
        self.dead_lettered += 1
        CONSUMER_MESSAGES.labels(self.service, self.name, "dead_lettered").inc()
        CONSUMER_DEAD_LETTERS.labels(self.service, self.name, delivery.topic).inc()
        # The table is the record; the topic makes it visible on the bus too. Keep trying while running.
        failures = 0
        while not self._stop.is_set():
            try:
                await self._transport.publish_dead_letter(delivery, error)
                return
            except Exception as publish_exc:
                failures += 1
                delay = self.retry.delay(min(failures, 10))
                log.warning("consumer %s: publishing the dead letter failed: %r", self.name, publish_exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)

    async def lag(self) -> int | None:
        """Messages not yet acknowledged by this consumer (None while not subscribed)."""
        behind = await self.lag_by_partition()
        return None if behind is None else sum(behind.values())

    async def lag_by_partition(self) -> dict[tuple[str, int], int] | None:
        """Messages not yet acknowledged, per (topic, partition) (None while not subscribed)."""
        subscription = self._subscription
        return None if subscription is None else await subscription.lag()

    async def replay_dead_letter(self, dead_letter_id: int) -> bool:
        return await replay_dead_letter(self._pool, dead_letter_id, self._handle, consumer=self.name)


async def replay_dead_letter(
    pool: asyncpg.Pool, dead_letter_id: int, handle: Handler, *, consumer: str | None = None
) -> bool:
    """Run a dead letter through `handle` again; its effects and `replayed_at` commit together.

    Returns False when there is no such pending dead letter (unknown, already replayed, or another consumer's
    when `consumer` is given). A handler that still fails raises, and the dead letter stays pending.
    """
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "SELECT consumer, envelope::text AS envelope FROM dead_letters"
            " WHERE id = $1 AND replayed_at IS NULL FOR UPDATE",
            dead_letter_id,
        )
        if row is None or (consumer is not None and row["consumer"] != consumer):
            return False
        await handle(conn, Envelope.model_validate_json(row["envelope"]))
        await conn.execute("UPDATE dead_letters SET replayed_at = now() WHERE id = $1", dead_letter_id)
    return True


async def dead_letter_count(pool: asyncpg.Pool, consumer: str | None = None) -> int:
    """Dead letters not replayed yet (the DLQ size on the dashboard)."""
    count = await pool.fetchval(
        "SELECT count(*) FROM dead_letters WHERE replayed_at IS NULL AND ($1::text IS NULL OR consumer = $1)",
        consumer,
    )
    return int(count)


async def pending_dead_letters(
    pool: asyncpg.Pool, consumer: str | None = None
) -> list[tuple[int, UUID, str]]:
    """(id, event_id, error) of the dead letters not replayed yet, oldest first."""
    rows = await pool.fetch(
        "SELECT id, event_id, error FROM dead_letters WHERE replayed_at IS NULL"
        " AND ($1::text IS NULL OR consumer = $1) ORDER BY id",
        consumer,
    )
    return [(r["id"], r["event_id"], r["error"]) for r in rows]


def _by_key(deliveries: Sequence[Delivery]) -> list[list[Delivery]]:
    """Each key's messages, in their order."""
    by_key: dict[str, list[Delivery]] = {}
    for delivery in deliveries:
        by_key.setdefault(delivery.key, []).append(delivery)
    return list(by_key.values())


def _lanes_of_keys(deliveries: Sequence[Delivery], lanes: int) -> list[list[Delivery]]:
    """At most `lanes` lists of whole keys (one key's messages together, in order), about equal in size."""
    keys = _by_key(deliveries)
    filled: list[list[Delivery]] = [[] for _ in range(min(lanes, len(keys)))]
    for queue in keys:
        min(filled, key=len).extend(queue)
    return filled


def _without_connection(handler: InMemory) -> Handler:
    """An in-memory handler where a database handler is called (a dead letter's replay)."""

    async def handle(conn: Conn, envelope: Envelope) -> None:
        await handler.handle(envelope)

    return handle
