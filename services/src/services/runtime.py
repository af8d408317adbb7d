"""What a service is made of, and the one runtime that starts it in either mode.

A service describes itself with a `ServiceDefinition` (its API routers, consumers, projections, the topic it
produces); `ServiceRuntime` creates its pool, applies migrations, picks the bus transport from settings (the
PostgreSQL log in the embedded mode, Kafka in the distributed one), and runs the relay, the consumers and the
projections beside the HTTP app (not the inline projections: those only rebuild). Only the adapters differ
between the two modes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from fastapi import APIRouter, FastAPI

from services.bus import PgNotifier
from services.bus.base import Transport
from services.bus.kafka import KafkaTransport
from services.bus.pglog import PgLogTransport
from services.consumer import ConsumerRunner, Handler, InMemory, RetryPolicy
from services.db import Migration, chassis_migrations, create_pool, folder_migrations, migrate
from services.eventstore.store import EventStore
from services.http import ProblemMapper, create_app
from services.http.ops import PipelineOps, ops_router
from services.leadership import Leadership
from services.pipeline_metrics import PipelineMetrics
from services.projection import Projection, ProjectionRunner
from services.relay import OutboxRelay
from services.settings import ServiceSettings
from services.topics import ensure_topics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Consumer:
    """A consumer group of this service: `handle(conn, envelope)` runs in the effect's transaction, or, for an
    `InMemory` handler (a cache this process keeps), with no connection and nothing recorded."""

    name: str
    topics: tuple[str, ...]
    handle: Handler | InMemory
    # Messages of different keys (aggregates) handled side by side, up to this many (ConsumerRunner).
    concurrency: int = 1
    # Messages committed together in one transaction (ConsumerRunner): fewer commits for short handlers.
    messages_per_transaction: int = 1
    # Seconds a fetch that found a few messages waits for more (ConsumerRunner): fewer, fuller batches.
    linger: float = 0.0


# For a consumer whose handler is a few statements, or nothing for most messages of its topics (ADR 022):
# one transaction, one inbox insert and one commit shared by this many messages, where each had its own.
SHORT_HANDLERS_TOGETHER = 20
# For a consumer that nobody waits on (bookkeeping, webhooks' fan-out), whose cost is mostly per batch: up to
# 50 ms later, batches of what 50 ms brought instead of one or two messages each under a steady load.
OFF_THE_WAITED_PATH_LINGER = 0.05


@dataclass(frozen=True)
class Resources:
    """What a running service hands its composition root and its route handlers."""

    settings: ServiceSettings
    pool: asyncpg.Pool
    store: EventStore


@dataclass(frozen=True)
class ServiceDefinition:
    name: str  # the internal token's audience and the metrics label
    title: str
    migrations: Path | None
    routers: Sequence[APIRouter]
    build: Callable[[Resources], Any] = lambda resources: None  # the service's handlers, on app.state.service
    consumers: Callable[[Any], Sequence[Consumer]] = lambda service: ()
    projections: Callable[[Any], Sequence[Projection]] = lambda service: ()
    # Read models the service's commands write in their own transaction (ADR 028): their projections only
    # rebuild them by replay (`rebuildable`); not run by the runtime, which would apply each event twice.
    inline_projections: Callable[[Any], Sequence[Projection]] = lambda service: ()
    produces: Sequence[str] = ()
    problem_mappers: Mapping[type[Exception], ProblemMapper] = field(default_factory=dict)
    extra_migrations: Sequence[Migration] = ()
    # Adds what only this deployable needs on its app (the gateway's middleware), after the chassis's own.
    configure_app: Callable[[FastAPI], None] | None = None
    # Long-running work of its own beside the runners (the gateway's webhook deliveries): each runs until
    # the event is set. Given the built service and the resources, as a task may need the pool or settings.
    background: Callable[[Any, Resources], Sequence[Callable[[asyncio.Event], Awaitable[None]]]] = (
        lambda service, resources: ()
    )

    def rebuildable(self, service: Any) -> list[Projection]:
        """Every projection a rebuild replays: those run live, then the inline ones."""
        return [*self.projections(service), *self.inline_projections(service)]

    def migrations_to_apply(self) -> list[Migration]:
        own = folder_migrations(self.name, self.migrations) if self.migrations else []
        return [*chassis_migrations(), *own, *self.extra_migrations]


class ServiceRuntime:
    """One service, started: pool, migrations, transport, background runners and its HTTP app."""

    def __init__(
        self,
        definition: ServiceDefinition,
        settings: ServiceSettings,
        *,
        retry: RetryPolicy | None = None,
        poll_interval: float = 1.0,
    ) -> None:
        self.definition = definition
        self.settings = settings
        self.retry = retry or RetryPolicy(
            max_attempts=settings.consumer_max_attempts, base_delay=settings.consumer_retry_base_delay
        )
        self.poll_interval = poll_interval
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._pool: asyncpg.Pool | None = None
        self._transport: Transport | None = None
        self._notifier: PgNotifier | None = None
        self.service: Any = None
        self.relay: OutboxRelay | None = None
        self.consumer_runners: list[ConsumerRunner] = []
        self.projection_runner: ProjectionRunner | None = None
        self.app: FastAPI = create_app(
            title=definition.title,
            version="1",
            routers=definition.routers,
            service=definition.name,
            problem_mappers=definition.problem_mappers,
            readiness_checks={"database": self._database_answers},
        )
        self.app.state.ops = ops = PipelineOps(
            definition.name, lambda: self.pool, lambda: self.relay, lambda: self.consumer_runners
        )
        self.app.include_router(ops_router(ops))
        if definition.configure_app is not None:
            definition.configure_app(self.app)

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError(f"{self.definition.name} is not started")
        return self._pool

    async def start(self, *, background: bool = True) -> None:
        settings = self.settings
        schema = settings.db_schema
        self._pool = await create_pool(
            settings.database_url, schema, min_size=settings.db_pool_min, max_size=settings.db_pool_max
        )
        async with self._pool.acquire() as conn:
            applied = await migrate(conn, schema, self.definition.migrations_to_apply())
        if applied:
            log.info("%s: applied %s", self.definition.name, ", ".join(applied))
        self._notifier = PgNotifier(self._pool)
        store = EventStore(self._pool, after_commit=self._notifier.hook(schema), service=self.definition.name)
        resources = Resources(settings=settings, pool=self._pool, store=store)
        self.service = self.definition.build(resources)
        self.app.state.resources = resources
        self.app.state.service = self.service
        if background:
            await self.start_background()

    async def start_background(self) -> None:
        """The relay, consumers and projections of a runtime started with `background=False`."""
        settings = self.settings
        consumers = list(self.definition.consumers(self.service))
        projections = list(self.definition.projections(self.service))
        if settings.bus == "kafka":
            consumed = [topic for consumer in consumers for topic in consumer.topics]
            await ensure_topics(
                settings.kafka_bootstrap, [*self.definition.produces, *consumed], settings.topic_partitions
            )
            self._transport = KafkaTransport(settings.kafka_bootstrap)
            if self.definition.produces:
                self.relay = OutboxRelay(
                    self.pool,
                    settings.kafka_bootstrap,
                    schema=settings.db_schema,
                    poll_interval=self.poll_interval,
                    service=self.definition.name,
                )
                # Replicas of a service share its schema: one relay publishes, the others stand by.
                leadership = Leadership(settings.database_url, f"{settings.db_schema}.relay")
                self._spawn(leadership.run(self.relay.run, self._stop), "relay")
        else:
            self._transport = PgLogTransport(self.pool, poll_interval=self.poll_interval)
        for consumer in consumers:
            runner = ConsumerRunner(
                self.pool,
                self._transport,
                consumer.name,
                consumer.topics,
                consumer.handle,
                retry=self.retry,
                service=self.definition.name,
                concurrency=consumer.concurrency,
                messages_per_transaction=consumer.messages_per_transaction,
                linger=consumer.linger,
            )
            self.consumer_runners.append(runner)
            self._spawn(runner.run(self._stop), f"consumer {consumer.name}")
        if projections:
            self.projection_runner = ProjectionRunner(
                self.pool, projections, schema=settings.db_schema, poll_interval=self.poll_interval
            )
            self._spawn(self.projection_runner.run(self._stop), "projections")
        if self.relay is not None or self.consumer_runners:
            sampler = PipelineMetrics(self.definition.name, self.pool, self.relay, self.consumer_runners)
            self._spawn(sampler.run(self._stop), "pipeline metrics")
        for index, work in enumerate(self.definition.background(self.service, self.app.state.resources)):
            self._spawn(work(self._stop), f"background {index}")

    def _spawn(self, work: Any, what: str) -> None:
        task = asyncio.get_running_loop().create_task(work, name=f"{self.definition.name} {what}")
        task.add_done_callback(self._report_crash)
        self._tasks.append(task)

    def _report_crash(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None and not self._stop.is_set():
            log.error("%s stopped unexpectedly", task.get_name(), exc_info=task.exception())

    async def _database_answers(self) -> None:
        await self.pool.fetchval("SELECT 1")

    async def stop(self) -> None:
        self._stop.set()
        for runner in self.consumer_runners:
            runner.stop()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=10)
            for task in pending:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*pending, return_exceptions=True)
        if self._transport is not None:
            await self._transport.close()
        if self._notifier is not None:
            await self._notifier.drain()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
