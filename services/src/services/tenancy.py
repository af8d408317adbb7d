"""Row-level security behind the application's tenant filter: reads run as a role the policies bind.

The pattern (ADR 004):

* every read-model table that carries a `tenant` column has, in the service's migrations,
  `ENABLE` and `FORCE ROW LEVEL SECURITY`, a policy `TO backoffice_app USING (tenant =
  current_setting('app.tenant', true))`, and `GRANT SELECT ... TO backoffice_app` (see `rls_statements`);
* a route reads inside `tenant_transaction(pool, caller.tenant)`: the transaction sets `app.tenant` and takes
  the role `backoffice_app` (`SET LOCAL`, so both end with it), and still filters on the tenant itself;
* projections and consumers, which write for every tenant, use the pool as it is: the service's own role (the
  tables' owner), which a second policy lets through. A superuser (dev, tests) bypasses RLS anyway; the
  reads do not, because `backoffice_app` is no superuser.

Without the setting, `current_setting('app.tenant', true)` is NULL and the role sees no row: forgetting the
tenant fails closed.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from services.log_reader import Conn

APP_ROLE = "backoffice_app"
TENANT_SETTING = "app.tenant"
_TABLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


# Tenants written into the opening statement as a literal: a plain identifier, nothing to escape.
_PLAIN_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")


@asynccontextmanager
async def tenant_transaction(
    pool: asyncpg.Pool, tenant: str, *, snapshot: bool = False
) -> AsyncIterator[Conn]:
    """A connection in a transaction that sees `tenant`'s rows only, as `backoffice_app`.

    `snapshot=True` makes it a read-only REPEATABLE READ transaction: a read made of several queries then sees
    one state of the read model, never a projection batch committed between two of its queries.

    The transaction opens with its settings in one round trip (`BEGIN; SELECT set_config(...)` as one simple
    query) instead of two: a read is then BEGIN+settings, the query, COMMIT. The transaction is asyncpg's
    "manually started" kind, so `conn.transaction()` inside raises (no savepoints in a tenant read). On an
    error it is left open and the pool's release rolls it back.
    """
    if not tenant:
        raise ValueError("a tenant is required")
    if not _PLAIN_TENANT.match(tenant):
        async with (
            pool.acquire() as conn,
            conn.transaction(
                isolation="repeatable_read" if snapshot else "read_committed", readonly=snapshot
            ),
        ):
            await set_tenant(conn, tenant)
            yield conn
        return
    async with pool.acquire() as conn:
        begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" if snapshot else "BEGIN"
        await conn.execute(
            f"{begin}; SELECT set_config('{TENANT_SETTING}', '{tenant}', true),"
            f" set_config('role', '{APP_ROLE}', true)"
        )
        yield conn
        await conn.execute("COMMIT")


async def set_tenant(conn: Conn, tenant: str) -> None:
    """Within the open transaction: the tenant for the policies, and the role they bind (both local)."""
    await conn.execute(
        "SELECT set_config($1, $2, true), set_config('role', $3, true)", TENANT_SETTING, tenant, APP_ROLE
    )


# The role, once per cluster (two services migrating at once may race: the loser's error is swallowed), and
# its access to the schema being migrated (`current_schema()`: migrations run with the service's search_path).
APP_ROLE_SQL = f"""
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        CREATE ROLE {APP_ROLE} NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$ BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO {APP_ROLE}', current_schema());
END $$;
"""

# Tables of the chassis that carry a tenant but are no read model: the event store is read by stream, in
# the command loop, which checks the tenant of what it loads.
CHASSIS_TENANT_TABLES = ("events",)


def rls_statements(table: str) -> str:
    """The SQL that puts `table` (with a `tenant` column) under the tenant policy, after `APP_ROLE_SQL`.

    Migrations are SQL files, so they hold this text written out; the function is the pattern's reference
    and what tests apply to a table of their own.
    """
    if not _TABLE.match(table):
        raise ValueError(f"invalid table name {table!r}")
    return f"""
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
CREATE POLICY {table}_tenant ON {table} TO {APP_ROLE}
    USING (tenant = current_setting('{TENANT_SETTING}', true));
GRANT SELECT ON {table} TO {APP_ROLE};
DO $$ BEGIN
    EXECUTE format('CREATE POLICY {table}_writers ON {table} TO %I USING (true)', current_user);
END $$;
"""


async def tables_without_tenant_policy(conn: Conn, schema: str) -> list[str]:
    """Tables of `schema` with a `tenant` column that row-level security does not (fully) guard."""
    rows = await conn.fetch(
        """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname <> ALL ($3::text[])
             AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant'
                         AND NOT a.attisdropped)
             AND NOT (c.relrowsecurity AND c.relforcerowsecurity
                      AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid
                                  AND (SELECT oid FROM pg_roles WHERE rolname = $2) = ANY (p.polroles)))
           ORDER BY c.relname""",
        schema,
        APP_ROLE,
        list(CHASSIS_TENANT_TABLES),
    )
    return [row["relname"] for row in rows]
