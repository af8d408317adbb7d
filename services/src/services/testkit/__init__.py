"""Test kit: real PostgreSQL and Kafka for tests, and helpers to isolate tests from each other.

Enable the fixtures with `pytest_plugins = ["services.testkit.pytest_plugin"]` in the root conftest.py
(or `-p services.testkit.pytest_plugin`).
"""

from services.testkit.infrastructure import (
    DATABASE_URL_ENV,
    KAFKA_BOOTSTRAP_ENV,
    VAR_DIR_ENV,
    Infrastructure,
    KafkaBroker,
    NotControllable,
    PostgresServer,
    create_topics,
    free_port,
    fresh_schema,
    unique_topic,
    wait_for_kafka,
    wait_for_postgres,
)

__all__ = [
    "DATABASE_URL_ENV",
    "KAFKA_BOOTSTRAP_ENV",
    "VAR_DIR_ENV",
    "Infrastructure",
    "KafkaBroker",
    "NotControllable",
    "PostgresServer",
    "create_topics",
    "free_port",
    "fresh_schema",
    "unique_topic",
    "wait_for_kafka",
    "wait_for_postgres",
]
