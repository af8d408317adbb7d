"""Reading the whole database as text, to look for what must never be stored in clear."""

from __future__ import annotations

from tests.e2e.test_tenant_matrix import World


async def tables(world: World) -> list[tuple[str, str]]:
    rows = await world.backoffice.gateway.pool.fetch(
        "SELECT schemaname, tablename FROM pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
    )
    return [(row["schemaname"], row["tablename"]) for row in rows]


async def where_found(world: World, needles: dict[str, str], *, only: str | None = None) -> list[str]:
    """`schema.table: what` for each table (or only `only`, e.g. `events`) holding a needle in any column."""
    found = []
    async with world.backoffice.gateway.pool.acquire() as conn:
        for schema, table in await tables(world):
            if only is not None and table != only:
                continue
            name = f"{_quoted(schema)}.{_quoted(table)}"
            # A row as text shows bytea as hex: also look for each needle's hex, in case one is stored raw.
            for what, needle in needles.items():
                hit = await conn.fetchval(
                    f"SELECT count(*) FROM {name} AS t WHERE strpos(t::text, $1) > 0 "
                    "OR strpos(t::text, $2) > 0",
                    needle,
                    needle.encode().hex(),
                )
                if hit:
                    found.append(f"{schema}.{table}: {what}")
    return found


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
