"""PostgreSQL pools and numbered SQL migrations, one schema per service."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import asyncpg

from services.log_reader import Conn

CHASSIS_MIGRATIONS = "chassis"
_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def check_schema_name(schema: str) -> str:
    """Schema names are interpolated into DDL, so they are held to a strict pattern."""
    if not _SCHEMA.fullmatch(schema):
        raise ValueError(f"invalid schema name {schema!r}")
    return schema


async def create_pool(dsn: str, schema: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """A pool whose connections see the service's schema first."""
    check_schema_name(schema)
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        server_settings={"search_path": schema, "application_name": schema},
        reset=_keep_session,
    )
    assert pool is not None
    return pool


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Skip asyncpg's reset query (UNLISTEN *, RESET ALL, unlock all) on release: a round trip per command.

    asyncpg still rolls back an open transaction and drops listeners. The chassis leaves nothing else on a
    pooled connection: settings are `SET LOCAL`, advisory locks are transaction-scoped or released in a
    `finally`, and LISTENs are removed before the connection goes back (services.bus.wakeup).
    """


@dataclass(frozen=True)
class Migration:
    source: str
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def chassis_migrations() -> list[Migration]:
    folder = resources.files("services") / "migrations"
    found = [
        Migration(CHASSIS_MIGRATIONS, int(m.group(1)), entry.name, entry.read_text())
        for entry in folder.iterdir()
        if (m := _NAME.match(entry.name))
    ]
    return sorted(found, key=lambda m: m.version)


def folder_migrations(source: str, folder: Path) -> list[Migration]:
    found = [
        Migration(source, int(m.group(1)), path.name, path.read_text())
        for path in folder.iterdir()
        if (m := _NAME.match(path.name))
    ]
    return sorted(found, key=lambda m: m.version)


async def migrate(conn: Conn, schema: str, migrations: Iterable[Migration]) -> list[str]:
    """Create the schema and apply what is new, in order, each in its own transaction.

    An advisory lock per schema lets several processes of one service start at once. A migration already
    applied whose text changed is refused: applied SQL is history.
    """
    check_schema_name(schema)
    applied_now: list[str] = []
    lock_key = int.from_bytes(hashlib.sha256(f"migrate:{schema}".encode()).digest()[:8], "big", signed=True)
    await conn.execute("SELECT pg_advisory_lock($1)", lock_key)
    try:
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        await conn.execute(
            f"""CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (
                    source text NOT NULL, version integer NOT NULL, name text NOT NULL,
                    checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (source, version))"""
        )
        rows = await conn.fetch(f"SELECT source, version, checksum FROM {schema}.schema_migrations")
        done = {(r["source"], r["version"]): r["checksum"] for r in rows}
        for migration in migrations:
            key = (migration.source, migration.version)
            if key in done:
                if done[key] != migration.checksum:
                    raise RuntimeError(
                        f"migration {migration.source}/{migration.name} changed after it was applied"
                    )
                continue
            async with conn.transaction():
                await conn.execute(f"SET LOCAL search_path TO {schema}")
                await conn.execute(migration.sql)
                await conn.execute(
                    f"INSERT INTO {schema}.schema_migrations (source, version, name, checksum)"
                    " VALUES ($1, $2, $3, $4)",
                    migration.source,
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            applied_now.append(f"{migration.source}/{migration.name}")
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", lock_key)
    return applied_now
