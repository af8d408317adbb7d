"""The Kafka transport: aiokafka consumer groups, offsets committed by hand after the effects."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from pydantic import ValidationError

from services.bus.base import Delivery, ResumeFrom
from services.envelope import Envelope, dead_letter_topic
from services.telemetry import kafka_headers, traceparent_from_kafka_headers

log = logging.getLogger(__name__)

ERROR_HEADER = "x-dead-letter-error"
SOURCE_HEADER = "x-dead-letter-source"


class KafkaSubscription:
    """One consumer-group member. Auto-commit is off: `commit` is the acknowledgement, after the effects."""

    def __init__(
        self,
        transport: KafkaTransport,
        group: str,
        topics: Sequence[str],
        resume_from: ResumeFrom | None = None,
    ) -> None:
        self._transport = transport
        self.group = group
        self.topics = list(topics)
        self._resume_from = resume_from
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        t = self._transport
        consumer = AIOKafkaConsumer(
            bootstrap_servers=t.bootstrap,
            group_id=self.group,
            client_id=f"{self.group}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=t.session_timeout_ms,
            heartbeat_interval_ms=t.heartbeat_interval_ms,
            # New topics (and partitions) are noticed soon rather than after the 5-minute default.
            metadata_max_age_ms=t.metadata_max_age_ms,
        )
        listener = None if self._resume_from is None else _ResumeFromDatabase(consumer, self._resume_from)
        consumer.subscribe(self.topics, listener=listener)
        await consumer.start()
        self._consumer = consumer

    async def fetch(self, max_records: int, max_wait: float) -> list[Delivery]:
        assert self._consumer is not None, "start() first"
        batches = await self._consumer.getmany(timeout_ms=int(max_wait * 1000), max_records=max_records)
        out: list[Delivery] = []
        for tp, records in batches.items():
            for record in records:
                delivery = await self._decode(tp, record)
                if delivery is not None:
                    out.append(delivery)
        return out

    async def _decode(self, tp: TopicPartition, record: Any) -> Delivery | None:
        headers = list(record.headers or ())
        try:
            envelope = Envelope.model_validate_json(record.value or b"")
        except ValidationError as exc:
            # Nothing to hand a handler and no event_id for the inbox: straight to the DLQ topic, then on.
            log.error("undecodable record %s:%s@%s: %s", tp.topic, tp.partition, record.offset, exc)
            await self._transport.send_dead_letter(
                dead_letter_topic(tp.topic), record.key, record.value, headers, f"undecodable envelope: {exc}"
            )
            return None
        key = record.key.decode() if record.key is not None else envelope.stream_id
        return Delivery(
            envelope=envelope,
            topic=tp.topic,
            partition=tp.partition,
            offset=record.offset,
            key=key,
            traceparent=traceparent_from_kafka_headers(headers) or envelope.traceparent,
        )

    async def commit(self, deliveries: Sequence[Delivery]) -> None:
        assert self._consumer is not None, "start() first"
        offsets: dict[TopicPartition, int] = {}
        for d in deliveries:
            tp = TopicPartition(d.topic, d.partition)
            offsets[tp] = max(offsets.get(tp, 0), d.offset + 1)
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            # A rebalance took the partition away: its new owner redelivers, the inbox absorbs the repeat.
            log.warning("commit of %s refused after a rebalance: %s", offsets, exc)

    async def lag(self) -> dict[tuple[str, int], int] | None:
        """Records behind each assigned partition's high-water mark, as of the last fetch responses."""
        consumer = self._consumer
        if consumer is None:
            return None
        behind = {}
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is None:
                return None
            committed = await consumer.committed(tp)
            behind[(tp.topic, tp.partition)] = max(0, highwater - (committed or 0))
        return behind

    async def close(self) -> None:
        if self._consumer is not None:
            consumer, self._consumer = self._consumer, None
            await consumer.stop()


class _ResumeFromDatabase(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka is untyped
    """On each assignment, start a partition where the consumer's database says it got to, when it says.

    That record is written after a batch's effects, so it is never ahead of them, and it is what a restored
    database knows: the group's offset on the broker may be past effects that the restore took away.
    """

    def __init__(self, consumer: AIOKafkaConsumer, resume_from: ResumeFrom) -> None:
        self._consumer = consumer
        self._resume_from = resume_from

    async def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        for tp in assigned:
            offset = await self._resume_from(tp.topic, tp.partition)
            if offset is not None:
                self._consumer.seek(tp, offset)


class KafkaTransport:
    """Consumer groups for subscriptions and one lazily started producer for dead letters."""

    name = "kafka"

    def __init__(
        self,
        bootstrap: str,
        *,
        session_timeout_ms: int = 10_000,
        heartbeat_interval_ms: int = 3_000,
        metadata_max_age_ms: int = 30_000,
    ) -> None:
        self.bootstrap = bootstrap
        self.session_timeout_ms = session_timeout_ms
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.metadata_max_age_ms = metadata_max_age_ms
        self._producer: AIOKafkaProducer | None = None
        self._producer_lock = asyncio.Lock()

    def subscribe(
        self, group: str, topics: Sequence[str], resume_from: ResumeFrom | None = None
    ) -> KafkaSubscription:
        return KafkaSubscription(self, group, topics, resume_from)

    async def publish_dead_letter(self, delivery: Delivery, error: str) -> None:
        headers = kafka_headers(delivery.traceparent)
        headers.append((SOURCE_HEADER, f"{delivery.topic}:{delivery.partition}@{delivery.offset}".encode()))
        await self.send_dead_letter(
            dead_letter_topic(delivery.topic),
            delivery.key.encode(),
            delivery.envelope.model_dump_json().encode(),
            headers,
            error,
        )

    async def send_dead_letter(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]],
        error: str,
    ) -> None:
        producer = await self._get_producer()
        headers = [*headers, (ERROR_HEADER, error[:2000].encode())]
        await producer.send_and_wait(topic, value=value, key=key, headers=headers)

    async def _get_producer(self) -> AIOKafkaProducer:
        async with self._producer_lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self.bootstrap, enable_idempotence=True, acks="all"
                )
                try:
                    await producer.start()
                except KafkaError:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def close(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()
