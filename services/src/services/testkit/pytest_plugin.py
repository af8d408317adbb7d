"""Session fixtures for real PostgreSQL and Kafka.

`database_url` / `kafka_bootstrap` come from BACKOFFICE_TEST_DATABASE_URL / BACKOFFICE_TEST_KAFKA_BOOTSTRAP
when set; otherwise the session starts its own server on a free port under a temporary directory (only when a
test asks for it) and stops it at the end. `postgres_server` / `kafka_broker` are handles to stop, restart or
kill it; `controllable_*` skip a test when the server comes from the environment (unless
BACKOFFICE_TEST_VAR_DIR says which deploy-script directory it runs from, as scripts/test.sh does).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.testkit.infrastructure import Infrastructure, KafkaBroker, PostgresServer


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[Infrastructure]:
    infra = Infrastructure()
    try:
        yield infra
    finally:
        infra.close()


@pytest.fixture(scope="session")
def postgres_server(infrastructure: Infrastructure) -> PostgresServer:
    return infrastructure.postgres()


@pytest.fixture(scope="session")
def database_url(postgres_server: PostgresServer) -> str:
    return postgres_server.url


@pytest.fixture(scope="session")
def kafka_broker(infrastructure: Infrastructure) -> KafkaBroker:
    return infrastructure.kafka()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker: KafkaBroker) -> str:
    return kafka_broker.bootstrap


@pytest.fixture
def controllable_kafka(kafka_broker: KafkaBroker) -> Iterator[KafkaBroker]:
    """The broker, for a test that stops, restarts or kills it; skips if the broker is not this session's."""
    if not kafka_broker.controllable:
        pytest.skip(
            f"needs to restart Kafka, but {kafka_broker.bootstrap} comes from BACKOFFICE_TEST_KAFKA_BOOTSTRAP"
        )
    yield kafka_broker
    # Whatever the test did (or failed to undo), the next tests find the broker up; a no-op when it is.
    kafka_broker.start_sync()


@pytest.fixture
def controllable_postgres(postgres_server: PostgresServer) -> Iterator[PostgresServer]:
    """The database server, for a test that stops, restarts or kills it; skips if it is not this session's."""
    if not postgres_server.controllable:
        pytest.skip("needs to restart PostgreSQL, but it comes from BACKOFFICE_TEST_DATABASE_URL")
    yield postgres_server
    postgres_server.start_sync()
