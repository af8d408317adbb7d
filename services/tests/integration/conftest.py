"""A fresh schema with the chassis's tables, per test module, on the session's real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest_asyncio

from services.db import chassis_migrations, migrate
from services.testkit.infrastructure import fresh_schema


@pytest_asyncio.fixture(scope="module")
async def dsn_schema(database_url: str) -> AsyncIterator[tuple[str, str]]:
    """(database URL, schema): the schema holds the chassis's tables and is dropped after the module."""
    async with fresh_schema(database_url, prefix="chassis") as schema:
        conn = await asyncpg.connect(database_url)
        try:
            await migrate(conn, schema, chassis_migrations())
        finally:
            await conn.close()
        yield database_url, schema
