"""Shared by the bus tests and the consumer process they SIGKILL: schemas, an effects table, publishing.

Imported by path (the tests run with --import-mode=importlib), so it imports nothing from the tests.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from opentelemetry.trace import Tracer

from services.bus.base import Transport
from services.bus.kafka import KafkaTransport
from services.bus.pglog import PgLogTransport
from services.bus.wakeup import PgNotifier
from services.db import chassis_migrations, create_pool, migrate
from services.envelope import Envelope
from services.eventstore.store import EventStore
from services.eventstore.types import NewEvent
from services.ids import new_event_id
from services.log_reader import Conn
from services.relay import OutboxRelay
from services.topics import ensure_topics

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:55432/postgres"
DEFAULT_BOOTSTRAP = "127.0.0.1:59092"

# No unique key on purpose: a duplicated effect must be countable.
EFFECTS_DDL = """
CREATE TABLE IF NOT EXISTS effects (
    seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer       text NOT NULL,
    event_id       uuid NOT NULL,
    stream_id      text NOT NULL,
    stream_version integer NOT NULL,
    pid            integer NOT NULL DEFAULT pg_backend_pid()
)
"""


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


async def make_schema(dsn: str, schema: str) -> asyncpg.Pool:
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn, schema, chassis_migrations())
        await conn.execute(f"SET search_path TO {schema}")
        await conn.execute(EFFECTS_DDL)
    finally:
        await conn.close()
    return await create_pool(dsn, schema, min_size=1, max_size=8)


async def drop_schema(dsn: str, schema: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await conn.close()


def make_envelope(producer: str, stream_id: str, version: int, **data: Any) -> Envelope:
    return Envelope(
        event_id=new_event_id(),
        event_type=f"{producer}.ThingHappened",
        schema_version=1,
        stream_id=stream_id,
        stream_version=version,
        occurred_at=datetime.now(UTC),
        tenant="smartfr",
        correlation_id=uuid.uuid4(),
        traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        data=data,
    )


async def publish(store: EventStore, producer: str, stream_id: str, version: int, **data: Any) -> Envelope:
    """Append one private event with its public envelope in the outbox, as a command handler would."""
    envelope = make_envelope(producer, stream_id, version, **data)
    await store.append(
        stream_id,
        version - 1,
        [NewEvent("ThingHappened", {"n": version, **data})],
        tenant="smartfr",
        outbox=[envelope],
    )
    return envelope


def effect_recorder(consumer: str, *, delay: float = 0.0) -> Callable[[Conn, Envelope], Awaitable[None]]:
    """A handler whose effect is one `effects` row; `delay` keeps its transaction open (pg_sleep)."""

    async def handle(conn: Conn, envelope: Envelope) -> None:
        await conn.execute(
            "INSERT INTO effects (consumer, event_id, stream_id, stream_version) VALUES ($1, $2, $3, $4)",
            consumer,
            envelope.event_id,
            envelope.stream_id,
            envelope.stream_version,
        )
        if delay:
            await conn.execute("SELECT pg_sleep($1)", delay)

    return handle


def make_transport(kind: str, pool: asyncpg.Pool, bootstrap: str, *, poll_interval: float = 1.0) -> Transport:
    if kind == "kafka":
        # The broker's minimum session timeout: a SIGKILLed member leaves the group quickly.
        return KafkaTransport(bootstrap, session_timeout_ms=6000, heartbeat_interval_ms=1000)
    return PgLogTransport(pool, poll_interval=poll_interval)


async def wait_until(
    check: Callable[[], Awaitable[bool]],
    within: float,
    what: str,
    interval: float = 0.05,
    diagnose: Callable[[], Awaitable[str]] | None = None,
) -> None:
    """Poll `check` until it holds; on timeout fail with `diagnose()`'s account of the state."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            state = await diagnose() if diagnose is not None else ""
            raise AssertionError(f"timed out after {within}s waiting for {what}. {state}")
        await asyncio.sleep(interval)


def env_dsn() -> str:
    return os.environ.get("BACKOFFICE_TEST_DATABASE_URL", DEFAULT_DSN)


def env_bootstrap() -> str:
    return os.environ.get("BACKOFFICE_TEST_KAFKA_BOOTSTRAP", DEFAULT_BOOTSTRAP)


# -- fixtures (imported into the test modules) -----------------------------------------------------------


def _plugin_value(request: pytest.FixtureRequest, name: str) -> Any:
    """The test kit's session fixture when its plugin is loaded, else None."""
    try:
        return request.getfixturevalue(name)
    except pytest.FixtureLookupError:
        return None


@pytest.fixture(scope="session")
def dsn(request: pytest.FixtureRequest) -> str:
    return str(_plugin_value(request, "database_url") or env_dsn())


@pytest.fixture(scope="session")
def bootstrap(request: pytest.FixtureRequest) -> str:
    return str(_plugin_value(request, "kafka_bootstrap") or env_bootstrap())


@dataclass
class BusWorld:
    """A producer schema with its outbox, a consumer schema, a topic, and (on Kafka) a running relay."""

    kind: str
    dsn: str
    bootstrap: str
    producer: str
    consumer: str
    producer_pool: asyncpg.Pool
    consumer_pool: asyncpg.Pool
    store: EventStore
    notifier: PgNotifier
    topic: str
    transport: Transport
    relay: OutboxRelay | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def group(self, name: str) -> str:
        """A consumer (group) name unique to this test: Kafka groups outlive the test's schemas."""
        return f"{self.producer}-{name}"

    def background(self, coro: Awaitable[None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        self.tasks.append(task)
        return task

    async def diagnose(self, *runners: Any) -> str:
        """What each part has done, for a timeout's message."""
        parts = [f"effects={await self.effect_count()}"]
        outbox = await self.producer_pool.fetchval("SELECT count(*) FROM outbox")
        parts.append(f"outbox={outbox}")
        if self.relay is not None:
            parts.append(
                f"relay published={self.relay.published} failures={self.relay.failures}"
                f" backlog={await self.relay.backlog()}"
            )
        for r in runners:
            parts.append(f"{r.name}: processed={r.processed} skipped={r.skipped} dead={r.dead_lettered}")
        return "; ".join(parts)

    async def effects(self) -> list[asyncpg.Record]:
        return await self.consumer_pool.fetch("SELECT * FROM effects ORDER BY seq")

    async def effect_count(self) -> int:
        return int(await self.consumer_pool.fetchval("SELECT count(*) FROM effects"))


@asynccontextmanager
async def bus_world(
    kind: str, dsn: str, bootstrap: str, *, partitions: int = 3, tracer: Tracer | None = None
) -> AsyncIterator[BusWorld]:
    producer, consumer = unique_name("busp"), unique_name("busc")
    producer_pool = await make_schema(dsn, producer)
    consumer_pool = await make_schema(dsn, consumer)
    notifier = PgNotifier(producer_pool)
    store = EventStore(producer_pool, after_commit=notifier.hook(producer))
    topic = f"{producer}.events"
    if kind == "kafka":
        await ensure_topics(bootstrap, [topic], partitions)
    world = BusWorld(
        kind,
        dsn,
        bootstrap,
        producer,
        consumer,
        producer_pool,
        consumer_pool,
        store,
        notifier,
        topic,
        make_transport(kind, consumer_pool, bootstrap),
    )
    if kind == "kafka":
        world.relay = OutboxRelay(
            producer_pool, bootstrap, schema=producer, request_timeout_ms=5000, ack_timeout=5.0, tracer=tracer
        )
        world.background(world.relay.run(world.stop))
    try:
        yield world
    finally:
        world.stop.set()
        await asyncio.wait_for(asyncio.gather(*world.tasks, return_exceptions=True), 30)
        await world.transport.close()
        await notifier.drain()
        await producer_pool.close()
        await consumer_pool.close()
        await drop_schema(dsn, producer)
        await drop_schema(dsn, consumer)
        if kind == "kafka":
            await delete_topics(bootstrap, [topic, f"{topic}.dlq"])


async def delete_topics(bootstrap: str, topics: list[str]) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        await admin.start()
        await admin.delete_topics(topics)
    except Exception:  # hygiene only: the names are unique anyway
        pass
    finally:
        await admin.close()
