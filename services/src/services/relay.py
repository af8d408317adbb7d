"""The outbox relay (Kafka mode): publishes a service's outbox in commit order, then moves its checkpoint.

At least once: a batch is sent, every ack awaited, and only then is the checkpoint saved. A crash or a broker
outage in between re-sends the batch from the checkpoint; consumers' inboxes absorb the repeats. The producer
is idempotent with `acks=all`, so within one producer session retries neither duplicate nor reorder, and the
key (the stream id) keeps one aggregate's events on one partition, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from services.bus.wakeup import HorizonBackoff, PgWakeup, outbox_channel, rows_pending, wait_for_wakeup
from services.eventstore.types import LogPosition
from services.log_reader import load_checkpoint, read_committed, save_checkpoint
from services.metrics import OUTBOX_PUBLISHED
from services.telemetry import context_from_traceparent, kafka_headers

log = logging.getLogger(__name__)

RELAY_CHECKPOINT = "relay"
_TRACER = trace.get_tracer("services.relay")
_COLUMNS = "position, topic, message_key, event_id, envelope::text AS envelope, traceparent"


@dataclass(frozen=True)
class RelayBackoff:
    initial: float = 0.2
    maximum: float = 5.0


class OutboxRelay:
    """Publishes `<schema>.outbox` to Kafka. One relay per service schema (a second one only duplicates)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        bootstrap: str,
        *,
        schema: str,
        checkpoint: str = RELAY_CHECKPOINT,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        request_timeout_ms: int = 15_000,
        ack_timeout: float = 30.0,
        backoff: RelayBackoff | None = None,
        service: str = "",
        tracer: Tracer | None = None,
    ) -> None:
        self.service = service
        self._tracer = tracer or _TRACER
        self._pool = pool
        self._bootstrap = bootstrap
        self.schema = schema
        self.checkpoint = checkpoint
        self.batch_size = batch_size
        self._request_timeout_ms = request_timeout_ms
        self._ack_timeout = ack_timeout
        self._backoff = backoff or RelayBackoff()
        self._producer: AIOKafkaProducer | None = None
        self._wakeup = PgWakeup(pool, [outbox_channel(schema)], poll_interval)
        self._horizon = HorizonBackoff(ceiling=poll_interval)
        self._pending = False
        # Where the last saved batch ended: the relay is its checkpoint's only writer, so it reads it back
        # only when it starts or after a failure (one round trip less per batch).
        self._after: LogPosition | None = None
        self.published = 0  # records acked since start (repeats after a failure included)
        self.failures = 0

    # -- running --------------------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set; rides out broker outages with capped exponential backoff."""
        delay = self._backoff.initial
        self._after = None  # another instance may have led meanwhile
        await self._wakeup.start()
        try:
            while not stop.is_set():
                try:
                    sent = await _unless_stopped(self.publish_batch(), stop)
                except Exception as exc:
                    self.failures += 1
                    self._after = None
                    log.warning("relay %s: publishing failed, retrying in %.1fs: %s", self.schema, delay, exc)
                    await self._discard_producer()
                    await _sleep_unless(stop, delay)
                    delay = min(delay * 2, self._backoff.maximum)
                    continue
                delay = self._backoff.initial
                if sent:
                    self._horizon.reset()
                if sent < self.batch_size:
                    await wait_for_wakeup(
                        self._wakeup, stop, self._horizon.next_delay() if self._pending else None
                    )
        finally:
            await self._wakeup.close()
            await self._discard_producer(graceful=True)

    async def publish_batch(self) -> int:
        """Send the next batch after the checkpoint, await every ack, then save the checkpoint."""
        async with self._pool.acquire() as conn:
            if self._after is None:
                self._after = await load_checkpoint(conn, self.checkpoint)
            after = self._after
            rows = await read_committed(
                conn, table="outbox", columns=_COLUMNS, after=after, limit=self.batch_size
            )
            if not rows:
                self._pending = await rows_pending(conn, "outbox", after)
                return 0
        producer = await self._get_producer()
        acks: list[asyncio.Future[Any]] = []
        for row in rows:
            traceparent = row["traceparent"] or _traceparent_of(row["envelope"])
            span = _send_span(self._tracer, row["topic"], str(row["event_id"]), traceparent)
            try:
                ack = await producer.send(
                    row["topic"],
                    value=row["envelope"].encode(),
                    key=row["message_key"].encode(),
                    headers=kafka_headers(traceparent),
                )
            except BaseException as exc:
                _end_send_span(span, exc)
                raise
            ack.add_done_callback(lambda done, span=span: _end_send_span(span, _failure_of(done)))
            acks.append(ack)
        # aiokafka retries an unreachable broker without end: bound the wait, then start over afresh.
        await asyncio.wait_for(asyncio.gather(*acks), self._ack_timeout)
        last = rows[-1]
        reached = LogPosition(last["tx_id"], last["position"])
        async with self._pool.acquire() as conn:
            await save_checkpoint(conn, self.checkpoint, reached)
        self._after = reached
        self.published += len(rows)
        for topic, count in Counter(row["topic"] for row in rows).items():  # one label lookup per topic
            OUTBOX_PUBLISHED.labels(self.service, topic).inc(count)
        return len(rows)

    async def _get_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap,
                enable_idempotence=True,
                acks="all",
                linger_ms=5,
                request_timeout_ms=self._request_timeout_ms,
                client_id=f"{self.schema}-relay",
            )
            try:
                await producer.start()
            except BaseException:
                with contextlib.suppress(Exception):
                    await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def _discard_producer(self, *, graceful: bool = False) -> None:
        # After a failure its idempotence sequence may be unusable: start afresh from the checkpoint.
        producer, self._producer = self._producer, None
        if producer is None:
            return
        with contextlib.suppress(Exception):
            await asyncio.wait_for(producer.stop(), timeout=5.0 if graceful else 1.0)

    # -- for metrics ----------------------------------------------------------------------------------------

    async def backlog(self) -> int:
        """Outbox rows after the checkpoint (committed ones; rows of running transactions are not seen)."""
        async with self._pool.acquire() as conn:
            after = await load_checkpoint(conn, self.checkpoint)
            count = await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE (tx_id, position) > ($1::text::xid8, $2::bigint)",
                str(after.tx_id),
                after.position,
            )
        return int(count)

    async def oldest_unpublished_age(self) -> float | None:
        """Seconds since the oldest row after the checkpoint was written; None when all is published."""
        async with self._pool.acquire() as conn:
            after = await load_checkpoint(conn, self.checkpoint)
            age = await conn.fetchval(
                "SELECT extract(epoch FROM now() - min(created_at))::float8 FROM outbox"
                " WHERE (tx_id, position) > ($1::text::xid8, $2::bigint)",
                str(after.tx_id),
                after.position,
            )
        return None if age is None else float(age)


def _send_span(tracer: Tracer, topic: str, event_id: str, traceparent: str | None) -> Span:
    """`send <topic>`, from the hand-over to the producer until the broker's ack: a child of the context the
    message carries (that of the span which appended the event), which the consumer's `process` span continues
    too. The message keeps its creation context rather than this span's: it was made in the transaction, and
    a repeat after a relay crash is another send of the same message."""
    return tracer.start_span(
        f"send {topic}",
        context=context_from_traceparent(traceparent),
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "send",
            "messaging.destination.name": topic,
            "messaging.message.id": event_id,
        },
    )


def _failure_of(ack: asyncio.Future[Any]) -> BaseException | None:
    if ack.cancelled():
        return asyncio.CancelledError()
    return ack.exception()


def _end_send_span(span: Span, failure: BaseException | None) -> None:
    if failure is not None:
        span.record_exception(failure)
        span.set_status(Status(StatusCode.ERROR, type(failure).__name__))
    span.end()


def _traceparent_of(envelope_json: str) -> str | None:
    value = json.loads(envelope_json).get("traceparent")
    return value if isinstance(value, str) else None


async def _unless_stopped(work: Coroutine[Any, Any, int], stop: asyncio.Event) -> int:
    """`work`'s result, or 0 once `stop` is set (the unfinished batch saved no checkpoint: it is re-sent)."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        task.cancel()
        raise
    finally:
        stopper.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
    return 0


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
