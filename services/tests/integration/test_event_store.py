"""The event store on a real PostgreSQL: expected versions, outbox in the same transaction, commit order."""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import orjson
import pytest

from services.db import create_pool
from services.envelope import Envelope
from services.eventstore import ConcurrencyConflict, EventStore, LogPosition, NewEvent
from services.ids import new_event_id
from services.log_reader import read_committed

TENANT = "smartfr"


@pytest.fixture(scope="module")
async def pool(dsn_schema: tuple[str, str]) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(*dsn_schema, min_size=1, max_size=12)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
def store(pool: asyncpg.Pool) -> EventStore:
    return EventStore(pool)


def stream() -> str:
    return f"thing-{secrets.token_hex(6)}"


def envelope(stream_id: str, version: int, event_id: UUID | None = None) -> Envelope:
    return Envelope(
        event_id=event_id or new_event_id(),
        event_type="demo.ThingHappened",
        schema_version=1,
        stream_id=stream_id,
        stream_version=version,
        occurred_at=datetime.now(UTC),
        tenant=TENANT,
        correlation_id=new_event_id(),
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        data={"version": version},
    )


async def count(pool: asyncpg.Pool, table: str, stream_id: str) -> int:
    column = "stream_id" if table == "events" else "message_key"
    n: int = await pool.fetchval(f"SELECT count(*) FROM {table} WHERE {column} = $1", stream_id)
    return n


async def test_events_read_back_as_appended_with_their_metadata_tenant_and_versions(
    store: EventStore,
) -> None:
    sid = stream()
    data: dict[str, Any] = {
        "text": "Coopérative « ça »",
        "n": 12.5,
        "big": 2**53,
        "none": None,
        "list": [1, {"a": []}],
    }
    first_id = new_event_id()
    result = await store.append(
        sid,
        0,
        [
            NewEvent("ThingMade", data, event_id=first_id),
            NewEvent("ThingNamed", {"name": "x"}, schema_version=2, metadata={"actor": "ann"}),
        ],
        tenant=TENANT,
        metadata={"correlation_id": "c-1", "actor": "system"},
    )
    assert (result.stream_id, result.first_version, result.last_version) == (sid, 1, 2)
    assert result.last_position == result.first_position + 1

    events = await store.read_stream(sid)
    assert [(e.stream_version, e.event_type, e.schema_version) for e in events] == [
        (1, "ThingMade", 1),
        (2, "ThingNamed", 2),
    ]
    assert events[0].event_id == first_id
    assert isinstance(events[1].event_id, UUID)
    assert events[0].data == data
    assert events[0].metadata == {"correlation_id": "c-1", "actor": "system"}
    assert events[1].metadata == {"correlation_id": "c-1", "actor": "ann"}  # the event's own keys win
    assert {e.tenant for e in events} == {TENANT}
    assert {e.tx_id for e in events} == {result.tx_id}
    assert events[-1].log_position == result.log_position
    assert await store.stream_version(sid) == 2
    assert await store.stream_version(stream()) == 0


@pytest.mark.parametrize("envelopes", [0, 1, 2])
async def test_one_event_reads_back_as_appended_with_none_one_or_two_envelopes(
    store: EventStore, pool: asyncpg.Pool, envelopes: int
) -> None:
    """One event with at most one envelope goes through its own statement (no arrays): the same rows."""
    sid = stream()
    event_id = new_event_id()
    outbox = [envelope(sid, 1) for _ in range(envelopes)]
    result = await store.append(
        sid,
        0,
        [NewEvent("ThingMade", {"text": "ça", "n": 2**53}, event_id=event_id, metadata={"actor": "ann"})],
        tenant=TENANT,
        outbox=outbox,
        metadata={"correlation_id": "c-1", "actor": "system"},
    )
    [event] = await store.read_stream(sid)
    assert (result.first_version, result.last_version) == (1, 1)
    assert result.first_position == result.last_position == event.global_position
    assert (event.event_id, event.event_type, event.tx_id, event.tenant) == (
        event_id,
        "ThingMade",
        result.tx_id,
        TENANT,
    )
    assert (event.data, event.metadata) == (
        {"text": "ça", "n": 2**53},
        {"correlation_id": "c-1", "actor": "ann"},
    )
    rows = await pool.fetch("SELECT envelope::text FROM outbox WHERE message_key = $1 ORDER BY position", sid)
    assert [Envelope.model_validate_json(r[0]) for r in rows] == outbox


async def test_read_stream_starts_at_from_version_and_hides_other_tenants(store: EventStore) -> None:
    sid = stream()
    await store.append(sid, 0, [NewEvent("A", {"i": i}) for i in range(1, 6)], tenant=TENANT)
    assert [e.data["i"] for e in await store.read_stream(sid, from_version=4)] == [4, 5]
    assert await store.read_stream(sid, from_version=6) == []
    assert len(await store.read_stream(sid, tenant=TENANT)) == 5
    assert await store.read_stream(sid, tenant="alterna") == []


async def test_outbox_rows_are_written_with_the_events(store: EventStore, pool: asyncpg.Pool) -> None:
    sid = stream()
    env = envelope(sid, 1)
    await store.append(sid, 0, [NewEvent("A", {})], tenant=TENANT, outbox=[env])
    row = await pool.fetchrow("SELECT * FROM outbox WHERE event_id = $1", env.event_id)
    assert row is not None
    assert (row["topic"], row["message_key"], row["traceparent"]) == ("demo.events", sid, env.traceparent)
    assert Envelope.model_validate(orjson.loads(row["envelope"])) == env
    assert orjson.loads(row["envelope"]) == env.model_dump(mode="json")


async def test_a_stale_or_future_expected_version_is_refused_and_writes_nothing(
    store: EventStore, pool: asyncpg.Pool
) -> None:
    sid = stream()
    await store.append(sid, 0, [NewEvent("A", {}), NewEvent("A", {}), NewEvent("A", {})], tenant=TENANT)
    for expected in (0, 1, 2, 4, 9):
        with pytest.raises(ConcurrencyConflict) as refused:
            await store.append(sid, expected, [NewEvent("B", {})], tenant=TENANT, outbox=[envelope(sid, 9)])
        assert (refused.value.expected_version, refused.value.actual_version) == (expected, 3)
    assert await count(pool, "events", sid) == 3
    assert await count(pool, "outbox", sid) == 0


@pytest.mark.parametrize("existing", [0, 3])
async def test_of_fifty_racing_appends_at_one_version_exactly_one_wins(
    dsn_schema: tuple[str, str], store: EventStore, pool: asyncpg.Pool, existing: int
) -> None:
    sid = stream()
    if existing:
        await store.append(sid, 0, [NewEvent("A", {}) for _ in range(existing)], tenant=TENANT)
    url, schema = dsn_schema
    # One connection each, opened first, so the 50 statements really run at once.
    conns = [await asyncpg.connect(url, server_settings={"search_path": schema}) for _ in range(50)]
    try:
        outcomes = await asyncio.gather(
            *(
                store.append(
                    sid,
                    existing,
                    [NewEvent("B", {"n": n})],
                    tenant=TENANT,
                    outbox=[envelope(sid, 1)],
                    conn=conn,
                )
                for n, conn in enumerate(conns)
            ),
            return_exceptions=True,
        )
    finally:
        for conn in conns:
            await conn.close()
    winners = [o for o in outcomes if not isinstance(o, BaseException)]
    losers = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(winners) == 1
    assert len(losers) == 49
    assert all(isinstance(o, ConcurrencyConflict) for o in losers), losers[:3]
    assert await count(pool, "events", sid) == existing + 1
    assert await count(pool, "outbox", sid) == 1
    assert await store.stream_version(sid) == existing + 1


async def test_an_append_joined_to_a_rolled_back_transaction_leaves_nothing(
    pool: asyncpg.Pool,
) -> None:
    woken: list[int] = []
    store = EventStore(pool, after_commit=lambda: woken.append(1))
    sid = stream()
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await store.append(sid, 0, [NewEvent("A", {})], tenant=TENANT, outbox=[envelope(sid, 1)], conn=conn)
        assert await store.stream_version(sid, conn=conn) == 1
        await tx.rollback()
    assert woken == [], "a joined transaction is the caller's to announce"
    assert await count(pool, "events", sid) == 0
    assert await count(pool, "outbox", sid) == 0

    await store.append(sid, 0, [NewEvent("A", {})], tenant=TENANT)
    assert woken == [1], "the store announces what it committed itself"


async def test_an_empty_append_is_refused(store: EventStore) -> None:
    with pytest.raises(ValueError, match="at least one event"):
        await store.append(stream(), 0, [], tenant=TENANT)


async def test_concurrent_writers_are_read_once_each_and_in_stream_order_from_events_and_outbox(
    dsn_schema: tuple[str, str], pool: asyncpg.Pool
) -> None:
    url, schema = dsn_schema
    await pool.execute("TRUNCATE events, outbox")
    store = EventStore(pool)
    writers, per_writer = 8, 2_000
    streams = [f"race-{i}" for i in range(120)]  # shared: writers also conflict and retry on one stream
    written: set[UUID] = set()
    done = asyncio.Event()

    async def writer(w: int) -> None:
        rng = random.Random(w)
        conn = await asyncpg.connect(url, server_settings={"search_path": schema})
        try:
            left = per_writer
            while left:
                sid = rng.choice(streams)
                n = min(left, rng.choice([1, 1, 1, 2, 3]))
                version = await store.stream_version(sid, conn=conn)
                events = [NewEvent("Raced", {"w": w}, event_id=new_event_id()) for _ in range(n)]
                outbox = [envelope(sid, version + i + 1, e.event_id) for i, e in enumerate(events)]
                slow = rng.random() < 0.1
                try:
                    if slow:  # a transaction held open a little: it commits after later-numbered rows
                        async with conn.transaction():
                            await store.append(sid, version, events, tenant=TENANT, outbox=outbox, conn=conn)
                            await conn.execute("SELECT pg_sleep(0.003)")
                    else:
                        await store.append(sid, version, events, tenant=TENANT, outbox=outbox, conn=conn)
                except ConcurrencyConflict:
                    continue
                written.update(e.event_id for e in events if e.event_id)
                left -= n
        finally:
            await conn.close()

    Seen = tuple[UUID, str, int]  # event id, stream (or key), version

    async def events_page(conn: asyncpg.Connection, after: LogPosition) -> tuple[list[Seen], LogPosition]:
        batch = await store.read_all(after, 500, conn=conn)
        seen = [(e.event_id, e.stream_id, e.stream_version) for e in batch]
        return seen, batch[-1].log_position if batch else after

    async def outbox_page(conn: asyncpg.Connection, after: LogPosition) -> tuple[list[Seen], LogPosition]:
        rows = await read_committed(
            conn,
            table="outbox",
            columns="position, event_id, message_key, envelope::text AS envelope",
            after=after,
            limit=500,
        )
        seen = [
            (r["event_id"], r["message_key"], orjson.loads(r["envelope"])["stream_version"]) for r in rows
        ]
        return seen, LogPosition(rows[-1]["tx_id"], rows[-1]["position"]) if rows else after

    async def tail(page: Any) -> list[Seen]:
        """Reads until the writers are done and every event was seen (or the deadline), plus one more page."""
        seen: list[Seen] = []
        after = LogPosition.start()
        deadline = time.monotonic() + 180
        async with pool.acquire() as conn:
            while time.monotonic() < deadline:
                batch, after = await page(conn, after)
                seen += batch
                if done.is_set() and len(seen) >= writers * per_writer:
                    extra, _ = await page(conn, after)  # anything more would be a duplicate
                    return seen + extra
                if not batch:
                    await asyncio.sleep(0.005)  # polling cadence, not synchronisation
        return seen

    events_reader = asyncio.create_task(tail(events_page))
    outbox_reader = asyncio.create_task(tail(outbox_page))
    await asyncio.gather(*(writer(w) for w in range(writers)))
    done.set()
    seen_events, seen_outbox = await asyncio.gather(events_reader, outbox_reader)

    assert len(written) == writers * per_writer
    for name, seen in (("events", seen_events), ("outbox", seen_outbox)):
        ids = [event_id for event_id, _, _ in seen]
        assert len(ids) == len(set(ids)), f"{name}: an event was read twice"
        assert set(ids) == written, f"{name}: missed {len(written - set(ids))} events"
        last: dict[str, int] = {}
        for _, sid, version in seen:
            assert version == last.get(sid, 0) + 1, f"{name}: {sid} read v{version} after v{last.get(sid, 0)}"
            last[sid] = version
