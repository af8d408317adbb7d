"""The one commit-order reader every consumer of a log table (events, outbox) uses.

Rows are read in (tx_id, position) order and only from transactions below the snapshot's xmin horizon: every
transaction with a smaller id has committed or aborted, so no row can still appear behind the reader. Reading
`position > last` alone skips rows of transactions that commit after a later-numbered one.

xid8 and asyncpg: asyncpg has no binary codec for xid8, so it travels as text (`$1::text::xid8`) and comes
back as `tx_id::text::bigint` (an xid8 is epoch << 32 | xid, far below 2**63). The ORDER BY names the
table's xid8 column, never the output alias, which would sort differently.
"""

from __future__ import annotations

import re
from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from services.eventstore.types import LogPosition

# A plain connection or one acquired from a pool: both are accepted wherever a connection is.
Conn: TypeAlias = asyncpg.Connection | PoolConnectionProxy

_IDENT = r"[a-z_][a-z0-9_]{0,62}"
_NAME = re.compile(_IDENT)
# A select-list item: `col`, `col::type` or either `AS alias`. Names are code constants; checked all the same.
_COLUMN = re.compile(rf"{_IDENT}(?:::{_IDENT})?(?:\s+AS\s+{_IDENT})?", re.IGNORECASE)


def _check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"invalid SQL name {name!r}")
    return name


def _check_columns(columns: str) -> str:
    items = [item.strip() for item in columns.split(",")]
    if not items or not all(_COLUMN.fullmatch(item) for item in items):
        raise ValueError(f"invalid column list {columns!r}")
    if any(item.split("::")[0].split()[0].lower() == "tx_id" for item in items):
        raise ValueError("tx_id is always returned (as an int); do not list it")
    return ", ".join(items)


_SQL_CACHE: dict[tuple[str, str, str], str] = {}


def committed_query(table: str, columns: str, position_column: str = "position") -> str:
    """The SQL `read_committed` runs ($1 after tx_id as text, $2 after position, $3 limit)."""
    key = (table, columns, position_column)
    sql = _SQL_CACHE.get(key)
    if sql is None:
        t, pos, cols = _check_name(table), _check_name(position_column), _check_columns(columns)
        sql = (
            f"SELECT {t}.tx_id::text::bigint AS tx_id, {cols} FROM {t}"
            f" WHERE ({t}.tx_id, {t}.{pos}) > ($1::text::xid8, $2::bigint)"
            f" AND {t}.tx_id < pg_snapshot_xmin(pg_current_snapshot())"
            f" ORDER BY {t}.tx_id, {t}.{pos} LIMIT $3"
        )
        _SQL_CACHE[key] = sql
    return sql


async def read_committed(
    conn: Conn,
    *,
    table: str,
    columns: str,
    after: LogPosition,
    limit: int,
    position_column: str = "position",
) -> list[asyncpg.Record]:
    """Up to `limit` rows after `after`, in commit order, never skipping a late-committing transaction.

    Each record has `tx_id` (int) first, then `columns`. The next `after` is
    `LogPosition(rows[-1]["tx_id"], rows[-1][position_column])`. A long-running transaction anywhere in the
    database holds the horizon back: rows behind it wait, they are not lost.
    """
    sql = committed_query(table, columns, position_column)
    return await conn.fetch(sql, str(after.tx_id), after.position, limit)


async def load_checkpoint(conn: Conn, name: str) -> LogPosition:
    """Where the reader `name` has got to; the start of the log if it never saved one."""
    row = await conn.fetchrow(
        "SELECT tx_id::text::bigint AS tx_id, position FROM checkpoints WHERE name = $1", name
    )
    if row is None:
        return LogPosition.start()
    return LogPosition(row["tx_id"], row["position"])


async def save_checkpoint(conn: Conn, name: str, position: LogPosition) -> None:
    """Record `position` for `name`; call it in the transaction that did the work it stands for."""
    await conn.execute(
        "INSERT INTO checkpoints (name, tx_id, position, updated_at) VALUES ($1, $2::text::xid8, $3, now())"
        " ON CONFLICT (name) DO UPDATE SET tx_id = excluded.tx_id, position = excluded.position,"
        " updated_at = excluded.updated_at",
        name,
        str(position.tx_id),
        position.position,
    )
