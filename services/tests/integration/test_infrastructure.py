"""The test kit gives every test a real PostgreSQL and a real Kafka, and lets a test restart or kill them."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from services.testkit import (
    KafkaBroker,
    NotControllable,
    PostgresServer,
    create_topics,
    fresh_schema,
    unique_topic,
)


async def _read(bootstrap: str, topic: str, expected: int, *, group: str | None = None) -> list[bytes]:
    """Everything in the topic from the start, polling until `expected` messages or a 30 s deadline."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    got: list[bytes] = []
    try:
        deadline = time.monotonic() + 30
        while len(got) < expected and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            got.extend(m.value for messages in batches.values() for m in messages if m.value is not None)
    finally:
        await consumer.stop()
    return got


async def _producer(bootstrap: str) -> AIOKafkaProducer:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    return producer


async def test_the_database_answers_a_query(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        version = await conn.fetchval("SHOW server_version_num")
        assert int(version) >= 180000
        assert await conn.fetchval("SELECT pg_current_xact_id() IS NOT NULL")
    finally:
        await conn.close()


async def test_a_fresh_schema_exists_inside_and_is_dropped_after(database_url: str) -> None:
    async with fresh_schema(database_url, prefix="Kit-Test") as schema:
        assert schema.startswith("kit_test_")
        conn = await asyncpg.connect(database_url, server_settings={"search_path": schema})
        try:
            await conn.execute("CREATE TABLE things (id int primary key)")
            await conn.execute("INSERT INTO things VALUES (1)")
            assert await conn.fetchval(f'SELECT count(*) FROM "{schema}".things') == 1
        finally:
            await conn.close()
    conn = await asyncpg.connect(database_url)
    try:
        assert not await conn.fetchval("SELECT count(*) FROM pg_namespace WHERE nspname = $1", schema)
    finally:
        await conn.close()


def test_unique_topics_are_distinct_and_valid_kafka_names() -> None:
    names = {unique_topic("members events/v1") for _ in range(100)}
    assert len(names) == 100
    for name in names:
        assert name.startswith("members-events-v1.")
        assert all(c.isalnum() or c in "._-" for c in name)


@pytest.mark.kafka
async def test_a_message_produced_to_a_new_topic_is_consumed_by_a_group(kafka_bootstrap: str) -> None:
    topic = unique_topic("kit")
    await create_topics(kafka_bootstrap, topic, partitions=3)
    producer = await _producer(kafka_bootstrap)
    try:
        await producer.send_and_wait(topic, b"hello", key=b"stream-1", headers=[("traceparent", b"00-x")])
    finally:
        await producer.stop()
    assert await _read(kafka_bootstrap, topic, 1, group=unique_topic("group")) == [b"hello"]


@pytest.mark.kafka
async def test_topics_are_not_created_by_accident(kafka_bootstrap: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, request_timeout_ms=3000)
    await producer.start()
    try:
        with pytest.raises(Exception):  # noqa: B017, PT011 - aiokafka raises a timeout or an unknown-topic error
            await producer.send_and_wait(unique_topic("never-created"), b"lost")
    finally:
        await producer.stop()


@pytest.mark.kafka
@pytest.mark.slow
async def test_a_broker_restart_keeps_messages_and_the_producer_carries_on(
    controllable_kafka: KafkaBroker,
) -> None:
    bootstrap = controllable_kafka.bootstrap
    topic = unique_topic("kit-restart")
    await create_topics(bootstrap, topic)
    producer = await _producer(bootstrap)
    try:
        await producer.send_and_wait(topic, b"before")
        started = time.monotonic()
        await controllable_kafka.restart()
        print(f"broker restart took {time.monotonic() - started:.1f}s")
        # The same producer reconnects to the restarted broker.
        await producer.send_and_wait(topic, b"after")
    finally:
        await producer.stop()
    assert await _read(bootstrap, topic, 2) == [b"before", b"after"]


@pytest.mark.kafka
@pytest.mark.slow
async def test_a_killed_broker_comes_back_with_its_acknowledged_messages(
    controllable_kafka: KafkaBroker,
) -> None:
    bootstrap = controllable_kafka.bootstrap
    topic = unique_topic("kit-kill")
    await create_topics(bootstrap, topic)
    producer = await _producer(bootstrap)
    try:
        await producer.send_and_wait(topic, b"acknowledged")
    finally:
        await producer.stop()
    await controllable_kafka.kill()
    host, port = bootstrap.rsplit(":", 1)
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection(host, int(port))
    await controllable_kafka.start()
    await controllable_kafka.wait_ready()
    assert await _read(bootstrap, topic, 1) == [b"acknowledged"]


@pytest.mark.slow
async def test_a_killed_database_comes_back_with_its_committed_rows(
    controllable_postgres: PostgresServer,
) -> None:
    url = controllable_postgres.url
    async with fresh_schema(url, prefix="kit_crash") as schema:
        conn = await asyncpg.connect(url, server_settings={"search_path": schema})
        try:
            await conn.execute("CREATE TABLE facts (id int primary key)")
            await conn.execute("INSERT INTO facts VALUES (1), (2)")
        finally:
            await conn.close()
        await controllable_postgres.kill()
        with pytest.raises(ConnectionRefusedError):
            await asyncpg.connect(url, timeout=3)
        await controllable_postgres.start()
        conn = await asyncpg.connect(url, server_settings={"search_path": schema})
        try:
            assert await conn.fetchval("SELECT count(*) FROM facts") == 2
        finally:
            await conn.close()


async def test_servers_from_the_environment_cannot_be_restarted() -> None:
    broker = KafkaBroker(Path("deploy/kafka/kafka.sh"), {}, "127.0.0.1:1", controllable=False)
    with pytest.raises(NotControllable, match="comes from the environment"):
        await broker.restart()
    server = PostgresServer(
        Path("deploy/postgres/pg.sh"), {}, "postgresql://x@127.0.0.1:1/x", controllable=False
    )
    with pytest.raises(NotControllable):
        await server.kill()
