"""A chaos round's infrastructure: a PostgreSQL server of its own (the round crashes and restarts it, so it
is never the shared one) and the session's Kafka broker, which the round restarts (skipped when the broker
comes from the environment and is not this session's to restart)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from services.testkit.infrastructure import KafkaBroker, PostgresServer
from tests.chaos.cluster import Cluster
from tests.e2e.deployments import fresh_database


@pytest.fixture(scope="session")
def chaos_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    server = PostgresServer.private(tmp_path_factory.mktemp("chaos-pg"))
    server.start_sync()
    try:
        yield server
    finally:
        server.stop_sync()


@pytest.fixture(scope="session")
def chaos_kafka(kafka_broker: KafkaBroker) -> Iterator[KafkaBroker]:
    if not kafka_broker.controllable:
        pytest.skip(
            f"restarts Kafka, but {kafka_broker.bootstrap} comes from BACKOFFICE_TEST_KAFKA_BOOTSTRAP"
        )
    yield kafka_broker
    kafka_broker.start_sync()  # up again for the next tests, whatever the round did


@pytest_asyncio.fixture(scope="session")
async def cluster(
    chaos_postgres: PostgresServer, chaos_kafka: KafkaBroker, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Cluster]:
    logs: Path = tmp_path_factory.mktemp("chaos-processes")
    async with fresh_database(chaos_postgres.url) as url:
        running = Cluster(url, chaos_kafka.bootstrap, logs)
        try:
            await running.start()
            yield running
        finally:
            running.stop()
