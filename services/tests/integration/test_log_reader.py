"""The commit-order reader: a late-committing transaction is never skipped, xid8 sorts as a number."""

from __future__ import annotations

import asyncpg
import pytest

from services.eventstore.types import LogPosition
from services.log_reader import load_checkpoint, read_committed, save_checkpoint

COLUMNS = "position, message_key"


async def connect(dsn_schema: tuple[str, str]) -> asyncpg.Connection:
    url, schema = dsn_schema
    conn: asyncpg.Connection = await asyncpg.connect(url, server_settings={"search_path": schema})
    return conn


async def insert(conn: asyncpg.Connection, key: str) -> None:
    await conn.execute(
        "INSERT INTO outbox (topic, message_key, event_id, envelope)"
        " VALUES ('t.events', $1, gen_random_uuid(), '{}')",
        key,
    )


async def test_a_transaction_that_commits_late_holds_back_later_ones_and_is_then_read_first(
    dsn_schema: tuple[str, str],
) -> None:
    early, late, reader = await connect(dsn_schema), await connect(dsn_schema), await connect(dsn_schema)
    try:
        await reader.execute("TRUNCATE outbox")
        early_tx = early.transaction()
        await early_tx.start()
        await insert(early, "early-but-slow")  # takes the smaller position and the smaller xid
        await insert(late, "late-but-quick")  # its own implicit transaction, committed at once

        rows = await read_committed(
            reader, table="outbox", columns=COLUMNS, after=LogPosition.start(), limit=10
        )
        assert rows == [], (
            "a row behind a running transaction must wait, or a `position > last` reader skips it"
        )

        await early_tx.commit()
        rows = await read_committed(
            reader, table="outbox", columns=COLUMNS, after=LogPosition.start(), limit=10
        )
        assert [r["message_key"] for r in rows] == ["early-but-slow", "late-but-quick"]
        assert all(isinstance(r["tx_id"], int) for r in rows)

        after_first = LogPosition(rows[0]["tx_id"], rows[0]["position"])
        rest = await read_committed(reader, table="outbox", columns=COLUMNS, after=after_first, limit=10)
        assert [r["message_key"] for r in rest] == ["late-but-quick"]
    finally:
        for conn in (early, late, reader):
            await conn.close()


async def test_transaction_ids_are_ordered_as_numbers_not_as_text(dsn_schema: tuple[str, str]) -> None:
    conn = await connect(dsn_schema)
    try:
        await conn.execute("TRUNCATE outbox")
        # Explicit old xids (far below the horizon): as text "100" < "99", as numbers 99 < 100.
        for tx_id, key in [(100, "second"), (99, "first")]:
            await conn.execute(
                "INSERT INTO outbox (tx_id, topic, message_key, event_id, envelope)"
                " VALUES ($1::text::xid8, 't.events', $2, gen_random_uuid(), '{}')",
                str(tx_id),
                key,
            )
        rows = await read_committed(
            conn, table="outbox", columns=COLUMNS, after=LogPosition.start(), limit=10
        )
        assert [(r["tx_id"], r["message_key"]) for r in rows] == [(99, "first"), (100, "second")]
        after = LogPosition(99, rows[0]["position"])
        rows = await read_committed(conn, table="outbox", columns=COLUMNS, after=after, limit=10)
        assert [r["message_key"] for r in rows] == ["second"]
    finally:
        await conn.close()


async def test_the_limit_pages_through_the_log(dsn_schema: tuple[str, str]) -> None:
    conn = await connect(dsn_schema)
    try:
        await conn.execute("TRUNCATE outbox")
        for i in range(7):
            await insert(conn, f"k{i}")
        seen: list[str] = []
        after = LogPosition.start()
        while rows := await read_committed(conn, table="outbox", columns=COLUMNS, after=after, limit=3):
            seen += [r["message_key"] for r in rows]
            after = LogPosition(rows[-1]["tx_id"], rows[-1]["position"])
        assert seen == [f"k{i}" for i in range(7)]
    finally:
        await conn.close()


async def test_a_checkpoint_starts_at_the_beginning_and_keeps_the_last_saved_position(
    dsn_schema: tuple[str, str],
) -> None:
    conn = await connect(dsn_schema)
    try:
        assert await load_checkpoint(conn, "relay") == LogPosition.start()
        await save_checkpoint(conn, "relay", LogPosition(5_000_000_123, 42))  # an xid8 past the first epoch
        await save_checkpoint(conn, "relay", LogPosition(5_000_000_124, 43))
        assert await load_checkpoint(conn, "relay") == LogPosition(5_000_000_124, 43)
        assert await load_checkpoint(conn, "another") == LogPosition.start()
    finally:
        await conn.close()


@pytest.mark.parametrize(
    ("table", "columns", "position_column"),
    [
        ("outbox; DROP TABLE events", "position", "position"),
        ("outbox", "position, (SELECT 1)", "position"),
        ("outbox", "tx_id, position", "position"),
        ("outbox", "position", "position desc"),
    ],
)
async def test_names_that_are_not_plain_identifiers_are_refused(
    dsn_schema: tuple[str, str], table: str, columns: str, position_column: str
) -> None:
    conn = await connect(dsn_schema)
    try:
        with pytest.raises(ValueError, match=r"invalid|tx_id"):
            await read_committed(
                conn,
                table=table,
                columns=columns,
                after=LogPosition.start(),
                limit=1,
                position_column=position_column,
            )
    finally:
        await conn.close()
