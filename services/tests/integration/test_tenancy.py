"""tenant_transaction on a real PostgreSQL: row-level security holds, and nothing outlives the transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio

from services.db import create_pool
from services.log_reader import Conn
from services.tenancy import APP_ROLE, APP_ROLE_SQL, rls_statements, tenant_transaction
from services.testkit.infrastructure import fresh_schema


@pytest_asyncio.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """One connection (so each test sees what a previous transaction left on it), over a tenant table."""
    async with fresh_schema(database_url, prefix="tenancy") as schema:
        pool = await create_pool(database_url, schema, min_size=1, max_size=1)
        try:
            async with pool.acquire() as conn:
                await conn.execute(APP_ROLE_SQL)
                await conn.execute("CREATE TABLE things (tenant text NOT NULL, name text NOT NULL)")
                await conn.execute(rls_statements("things"))
                await conn.execute(
                    "INSERT INTO things VALUES ('coop-portage', 'a1'), ('coop-portage', 'a2'),"
                    " ('alterna', 'b1'), ('odd tenant', 'c1')"
                )
            yield pool
        finally:
            await pool.close()


async def names(conn: Conn) -> set[str]:
    return {row["name"] for row in await conn.fetch("SELECT name FROM things")}  # no tenant filter


@pytest.mark.parametrize(
    ("tenant", "seen"),
    [
        ("coop-portage", {"a1", "a2"}),
        ("alterna", {"b1"}),
        ("odd tenant", {"c1"}),
        ("x'; RESET ROLE; --", set()),
    ],
)
async def test_a_tenant_sees_its_rows_only(pool: asyncpg.Pool, tenant: str, seen: set[str]) -> None:
    async with tenant_transaction(pool, tenant) as conn:
        assert await names(conn) == seen
        assert await conn.fetchval("SELECT current_user") == APP_ROLE


async def test_the_tenant_and_the_role_end_with_the_transaction(pool: asyncpg.Pool) -> None:
    async with tenant_transaction(pool, "alterna") as conn:
        assert await conn.fetchval("SELECT current_setting('app.tenant', true)") == "alterna"

    async with pool.acquire() as conn:
        assert not conn.is_in_transaction()
        assert await conn.fetchval("SELECT current_setting('app.tenant', true)") in (None, "")
        assert await conn.fetchval("SELECT current_user") != APP_ROLE
        assert await names(conn) == {"a1", "a2", "b1", "c1"}  # the owner (the projections' role)


async def test_an_error_inside_rolls_the_transaction_back(pool: asyncpg.Pool) -> None:
    with pytest.raises(asyncpg.UndefinedTableError):
        async with tenant_transaction(pool, "alterna") as conn:
            await conn.fetch("SELECT * FROM no_such_table")

    async with pool.acquire() as conn:
        assert not conn.is_in_transaction()
        assert await conn.fetchval("SELECT current_user") != APP_ROLE

    async with tenant_transaction(pool, "coop-portage") as conn:  # the connection is usable again
        assert await names(conn) == {"a1", "a2"}


async def test_the_role_may_not_write(pool: asyncpg.Pool) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with tenant_transaction(pool, "alterna") as conn:
            await conn.execute("DELETE FROM things")


@pytest.mark.parametrize("tenant", ["coop-portage", "odd tenant"])
async def test_a_snapshot_read_sees_one_state_and_writes_nothing(
    pool: asyncpg.Pool, database_url: str, tenant: str
) -> None:
    schema = await pool.fetchval("SELECT current_schema()")
    async with tenant_transaction(pool, tenant, snapshot=True) as conn:
        before = await names(conn)
        # another transaction commits a row of this tenant between two queries of the read
        writer = await asyncpg.connect(database_url, server_settings={"search_path": schema})
        try:
            await writer.execute("INSERT INTO things VALUES ($1, 'late')", tenant)
        finally:
            await writer.close()
        assert await names(conn) == before
        with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
            await conn.execute("INSERT INTO things VALUES ($1, 'nope')", tenant)
    async with tenant_transaction(pool, tenant) as conn:
        assert "late" in await names(conn)
