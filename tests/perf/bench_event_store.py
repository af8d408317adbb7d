"""Event store throughput beside a bare asyncpg loop and the `eventsourcing` library, on one PostgreSQL.

    uv run python -m tests.perf event_store     # BACKOFFICE_BENCH_DATABASE_URL, BENCH_SECONDS (default 5)

Each run writes into a fresh schema and drops it. Appends are single-event transactions with an outbox row
(what the command loop does), from 1 and 16 connections; the `eventsourcing` recorder writes no outbox (it has
none) and runs in threads, as its users do.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import secrets
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from urllib.parse import unquote, urlparse
from uuid import uuid4

import asyncpg
import orjson

from services.db import chassis_migrations, create_pool, migrate
from services.envelope import Envelope
from services.eventstore import EventStore, LogPosition, NewEvent
from services.ids import new_event_id
from tests.perf.table import Figure, Target

SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
TENANT = "smartfr"
DATA = {"name": "Camille Martin", "category": "worker", "shares": 3, "amount": "150.00", "on": "2025-03-01"}


def dsn() -> str:
    url = os.environ.get("BACKOFFICE_BENCH_DATABASE_URL") or os.environ.get("BACKOFFICE_TEST_DATABASE_URL")
    if not url:
        raise SystemExit("set BACKOFFICE_BENCH_DATABASE_URL (or BACKOFFICE_TEST_DATABASE_URL)")
    return url


def envelope(stream_id: str, version: int) -> Envelope:
    return Envelope(
        event_id=new_event_id(),
        event_type="bench.ThingHappened",
        schema_version=1,
        stream_id=stream_id,
        stream_version=version,
        occurred_at=datetime.now(UTC),
        tenant=TENANT,
        correlation_id=new_event_id(),
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        data=DATA,
    )


class Schema:
    """A fresh chassis schema for one run."""

    def __init__(self) -> None:
        self.name = f"bench_{secrets.token_hex(4)}"

    async def __aenter__(self) -> Schema:
        conn = await asyncpg.connect(dsn())
        try:
            await migrate(conn, self.name, chassis_migrations())
        finally:
            await conn.close()
        return self

    async def __aexit__(self, *exc: object) -> None:
        conn = await asyncpg.connect(dsn())
        try:
            await conn.execute(f"DROP SCHEMA IF EXISTS {self.name} CASCADE")
        finally:
            await conn.close()


async def timed(workers: int, one: Callable[[int], Awaitable[int]]) -> float:
    """Runs `one(worker)` (which returns events written) in a loop on each worker for SECONDS; events/s."""
    deadline = time.perf_counter() + SECONDS
    counts = [0] * workers

    async def loop(w: int) -> None:
        while time.perf_counter() < deadline:
            counts[w] += await one(w)

    started = time.perf_counter()
    await asyncio.gather(*(loop(w) for w in range(workers)))
    return sum(counts) / (time.perf_counter() - started)


async def store_appends(connections: int, batch: int = 1, outbox: bool = True, held: bool = False) -> float:
    """Appends through the store's pool, or (`held`) on connections the caller holds, as a handler in a
    transaction of its own would: no acquire/release, so no pool reset query per append."""
    async with Schema() as schema:
        pool = await create_pool(dsn(), schema.name, min_size=connections, max_size=connections)
        store = EventStore(pool)
        conns = [await pool.acquire() for _ in range(connections)] if held else []
        try:

            async def one(w: int) -> int:
                sid = f"thing-{uuid4()}"
                events = [NewEvent("ThingHappened", DATA) for _ in range(batch)]
                envelopes = [envelope(sid, v) for v in range(1, batch + 1)] if outbox else []
                conn = conns[w] if held else None
                meta = {"actor": "bench"}
                await store.append(sid, 0, events, tenant=TENANT, outbox=envelopes, metadata=meta, conn=conn)
                return batch

            return await timed(connections, one)
        finally:
            for conn in conns:
                await pool.release(conn)
            await pool.close()


_BARE_EVENT = (
    "INSERT INTO events"
    " (stream_id, stream_version, event_id, event_type, schema_version, data, metadata, tenant)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
)
_BARE_OUTBOX = (
    "INSERT INTO outbox (topic, message_key, event_id, envelope, traceparent) VALUES ($1, $2, $3, $4, $5)"
)


async def bare_asyncpg(connections: int) -> float:
    """The floor to compare with: the same two rows per transaction, hand-written, a connection per worker."""
    async with Schema() as schema:
        conns = [
            await asyncpg.connect(dsn(), server_settings={"search_path": schema.name})
            for _ in range(connections)
        ]
        try:

            async def one(w: int) -> int:
                conn, sid = conns[w], f"thing-{uuid4()}"
                env = envelope(sid, 1)
                async with conn.transaction():
                    await conn.execute(
                        _BARE_EVENT, sid, 1, new_event_id(), "ThingHappened", 1,
                        orjson.dumps(DATA).decode(), '{"actor": "bench"}', TENANT,
                    )  # fmt: skip
                    await conn.execute(
                        _BARE_OUTBOX, env.topic(), sid, env.event_id, env.model_dump_json(), env.traceparent
                    )
                return 1

            return await timed(connections, one)
        finally:
            for conn in conns:
                await conn.close()


async def replay() -> tuple[float, int]:
    """Write events in batches, then read them all back in commit order through the store's decoding."""
    async with Schema() as schema:
        pool = await create_pool(dsn(), schema.name, min_size=4, max_size=4)
        store = EventStore(pool)
        try:
            for _ in range(200):  # 200,000 events in 2,000 transactions
                await asyncio.gather(
                    *(
                        store.append(
                            f"thing-{uuid4()}", 0, [NewEvent("ThingHappened", DATA)] * 100, tenant=TENANT
                        )
                        for _ in range(10)
                    )
                )
            await pool.execute("VACUUM ANALYZE events")
            async with pool.acquire() as conn:
                started, n, after = time.perf_counter(), 0, LogPosition.start()
                while batch := await store.read_all(after, 2_000, conn=conn):
                    n += len(batch)
                    after = batch[-1].log_position
                return n / (time.perf_counter() - started), n
        finally:
            await pool.close()


def eventsourcing_appends(threads: int) -> float:
    """The `eventsourcing` library's default PostgreSQL application recorder, one event per tx, in threads."""
    from eventsourcing.persistence import StoredEvent
    from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

    url = urlparse(dsn())
    schema = f"bench_es_{secrets.token_hex(4)}"
    asyncio.run(_sql(f"CREATE SCHEMA {schema}"))
    datastore = PostgresDatastore(
        dbname=url.path.lstrip("/") or "postgres",
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        user=unquote(url.username or "postgres"),
        password=unquote(url.password or ""),
        pool_size=threads,
        schema=schema,
    )
    try:
        recorder = PostgresApplicationRecorder(datastore)
        recorder.create_table()
        deadline = time.perf_counter() + SECONDS
        counts = [0] * threads

        def loop(t: int) -> None:
            while time.perf_counter() < deadline:
                state = json.dumps(DATA).encode()  # what its transcoder does per event
                recorder.insert_events([StoredEvent(uuid4(), 1, "bench:ThingHappened", state)])
                counts[t] += 1

        started = time.perf_counter()
        workers = [threading.Thread(target=loop, args=(t,)) for t in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return sum(counts) / (time.perf_counter() - started)
    finally:
        datastore.close()
        asyncio.run(_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


async def _sql(statement: str) -> None:
    conn = await asyncpg.connect(dsn())
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def _server() -> str:
    conn = await asyncpg.connect(dsn())
    try:
        version = await conn.fetchval("SHOW server_version")
        fsync = await conn.fetchval("SHOW fsync")
        sync = await conn.fetchval("SHOW synchronous_commit")
        return f"PostgreSQL {version} (fsync={fsync}, synchronous_commit={sync})"
    finally:
        await conn.close()


def _machine() -> str:
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpus = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    return f"{platform.machine()}, {cpus} CPUs, {mem}, Python {platform.python_version()}"


def main() -> list[Figure]:
    when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    print(f"{when}; {_machine()}; {asyncio.run(_server())}; {SECONDS:g} s per run")

    def row(name: str, rate: float, note: str = "") -> None:
        print(f"  {name:<52} {rate:>10,.0f} events/s  {note}", flush=True)

    store1 = asyncio.run(store_appends(1))
    row("event store, 1 event + outbox per tx, 1 conn", store1)
    store16 = asyncio.run(store_appends(16))
    row("event store, 1 event + outbox per tx, 16 conns", store16)
    held16 = asyncio.run(store_appends(16, held=True))
    row("event store, same, 16 conns held by the caller", held16, "(no pool acquire/reset)")
    bare1 = asyncio.run(bare_asyncpg(1))
    row("bare asyncpg, 1 event + outbox per tx, 1 conn", bare1)
    bare16 = asyncio.run(bare_asyncpg(16))
    row("bare asyncpg, 1 event + outbox per tx, 16 conns", bare16)
    es1 = eventsourcing_appends(1)
    row("eventsourcing 9.5 recorder, 1 event per tx, 1 thread", es1)
    es16 = eventsourcing_appends(16)
    row("eventsourcing 9.5 recorder, 1 event per tx, 16 threads", es16)
    batch1 = asyncio.run(store_appends(1, batch=100, outbox=False))
    row("event store, 100 events per tx, 1 conn", batch1)
    batch16 = asyncio.run(store_appends(16, batch=100, outbox=False))
    row("event store, 100 events per tx, 16 conns", batch16)
    replayed, n = asyncio.run(replay())
    row(f"replay through read_all ({n:,} events, pages of 2,000)", replayed)

    print("\n  targets")
    checks = [
        ("event store / eventsourcing at 16", store16 / es16, 3.0),
        ("event store / bare asyncpg at 16", store16 / bare16, 0.8),
        ("replay events/s / 100,000", replayed / 100_000, 1.0),
    ]
    for name, ratio, target in checks:
        verdict = "ok" if ratio >= target else "BELOW TARGET"
        print(f"  {name:<52} {ratio:>10.2f}   (target >= {target:g})  {verdict}")
    per_s = "events/s"
    return [
        Figure(
            "appends, 1 event + outbox per tx, 1 conn", store1, per_s, reference=f"bare asyncpg {bare1:,.0f}"
        ),
        Figure(
            "appends, 1 event + outbox per tx, 16 conns",
            store16,
            per_s,
            Target.at_least(0.8 * bare16),
            f"0.8 x bare asyncpg {bare16:,.0f}; eventsourcing {es16:,.0f}",
        ),
        Figure(
            "appends / eventsourcing recorder, 16",
            store16 / es16,
            "x",
            Target.at_least(3),
            f"eventsourcing {es16:,.0f} events/s",
        ),
        Figure("appends, 100 events per tx, 16 conns", batch16, per_s),
        Figure(f"replay through read_all ({n:,} events)", replayed, per_s, Target.at_least(100_000)),
    ]
