"""A chaos round's infrastructure: a PostgreSQL server of its own (the round crashes and restarts it, so it
is never the shared one) and the session's Kafka broker, which the round restarts (skipped when the broker
comes from the environment and is not this session's to restart)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from services.testkit.infrastructure import KafkaBroker, PostgresServer
from tests.chaos.cluster import Cluster
from tests.e2e.deployments import fresh_database


@pytest.fixture(scope="package")
def chaos_postgres() -> Iterator[PostgresServer]:
    # Not under pytest's temporary directory: another session resets its root to 0700, and the server (run as
    # another user when the tests run as root) would lose its data directory mid-round.
    with tempfile.TemporaryDirectory(prefix="backoffice-chaos-", ignore_cleanup_errors=True) as var_dir:
        server = PostgresServer.private(Path(var_dir))
        server.env["PG_START_TIMEOUT"] = "600"  # a loaded machine (load average 30+ on 2 cores) is slow
        server.start_sync()
        try:
            yield server
        finally:
            server.stop_sync()


@pytest.fixture(scope="package")
def chaos_kafka(kafka_broker: KafkaBroker) -> Iterator[KafkaBroker]:
    if not kafka_broker.controllable:
        pytest.skip(
            f"restarts Kafka, but {kafka_broker.bootstrap} comes from BACKOFFICE_TEST_KAFKA_BOOTSTRAP"
        )
    # The round restarts it; a loaded machine took over the script's 90 s to answer again.
    kafka_broker.env.setdefault("KAFKA_START_TIMEOUT", "600")
    yield kafka_broker
    kafka_broker.start_sync()  # up again for the next tests, whatever the round did


@pytest.fixture(scope="session")
def chaos_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The processes' logs; CHAOS_LOGS keeps them where a failed round can be read after pytest's clean-up."""
    kept = os.environ.get("CHAOS_LOGS")
    logs = Path(kept) if kept else tmp_path_factory.mktemp("chaos-processes")
    logs.mkdir(parents=True, exist_ok=True)
    return logs


# Package-scoped: stopped once the chaos tests are done. Its consumers share the broker's topics and groups
# with any later distributed deployment, and would take half of their partitions if left running.
@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def cluster(
    chaos_postgres: PostgresServer, chaos_kafka: KafkaBroker, chaos_logs: Path
) -> AsyncIterator[Cluster]:
    async with fresh_database(chaos_postgres.url) as url:
        running = Cluster(url, chaos_kafka.bootstrap, chaos_logs)
        try:
            await running.start()
            yield running
        finally:
            running.stop()
