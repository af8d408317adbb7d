"""The contracts-svc handlers on a schema of their own per test module, on the real PostgreSQL.

The tests share member_fixtures.py; importlib mode does not put this folder on the path."""

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest_asyncio

from contracts_svc.config import Settings
from contracts_svc.entrypoints.definition import definition
from services.db import create_pool, migrate
from services.eventstore.store import EventStore
from services.runtime import Resources
from services.testkit.infrastructure import fresh_schema

sys.path.insert(0, str(Path(__file__).parent))


@pytest_asyncio.fixture(scope="module")
async def resources(database_url: str) -> AsyncIterator[Resources]:
    async with fresh_schema(database_url, prefix="contracts") as schema:
        conn = await asyncpg.connect(database_url)
        try:
            await migrate(conn, schema, definition().migrations_to_apply())
        finally:
            await conn.close()
        pool = await create_pool(database_url, schema)
        try:
            yield Resources(Settings(database_url=database_url, db_schema=schema), pool, EventStore(pool))
        finally:
            await pool.close()
