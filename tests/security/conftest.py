"""One embedded back-office for the whole security suite (a fresh database) and the document it serves.

The tenant matrix (tests/e2e/test_tenant_matrix.py) already knows how to fill any /v1 path with objects of a
tenant and how to build a body from the document's examples: the suite drives the gateway through its World.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from backoffice.embedded import EmbeddedBackoffice
from tests.e2e.deployments import fresh_database
from tests.e2e.test_tenant_matrix import EXCLUDED, OPERATIONS, Operation, Unfillable, World


class Captured(logging.Handler):
    """Every record any logger emits while the suite runs, formatted with its arguments and exception."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        # Structured loggers put fields in the record's dict: keep them too.
        extra = {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
        self.lines.append(f"{text} {extra}" if extra else text)


_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


@pytest.fixture(scope="package")
def captured_logs() -> Iterator[Captured]:
    handler = Captured()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


@pytest_asyncio.fixture(scope="package")
async def world(database_url: str, captured_logs: Captured) -> AsyncIterator[World]:
    async with fresh_database(database_url) as url:
        backoffice = EmbeddedBackoffice(
            url, poll_interval=0.2, rate_limit_quota=1_000_000, webhooks_allow_loopback=True
        )
        await backoffice.start()
        try:
            transport = httpx.ASGITransport(app=backoffice.gateway.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
                world = World(backoffice, client)
                # Every path's objects first, from the examples, before a test registers an example's
                # unique values (a SIRET) with hostile variations of its own.
                for operation in OPERATIONS:
                    if (operation.method, operation.path) not in EXCLUDED:
                        with contextlib.suppress(Unfillable):
                            await world.fill(operation)
                yield world
        finally:
            await backoffice.stop()


@pytest.fixture(scope="package")
def document(world: World) -> dict[str, Any]:
    return world.document


async def filled(world: World, operation: Operation) -> str:
    """The operation's path on tenant A's objects; an operation the matrix cannot fill is its failure."""
    try:
        return await world.fill(operation)
    except Unfillable as why:
        pytest.skip(f"tests/e2e/test_tenant_matrix.py cannot fill {operation.id} either, and fails: {why}")
