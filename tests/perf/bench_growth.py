"""Growth: appending and reading a stream must not slow down as the event store grows (indexes, no scans).

    uv run python -m tests.perf growth     # BENCH_GROWTH_EVENTS, BENCH_SECONDS (5)

BENCH_GROWTH_EVENTS defaults to 1,000,000 at BENCH_SCALE=1 and 10,000,000 at BENCH_SCALE=10 (the seed's scale
times 10 over years). Niced (`nice -n 10`) on a shared machine: the fill takes ten minutes or more.

A fresh chassis schema per size (100,000, 1,000,000 and BENCH_GROWTH_EVENTS events), each filled
server-side (INSERT ... SELECT: streams of 20 events, as a member's or a contract's stream over years, and as
many outbox rows, since the outbox keeps what it published), then VACUUM ANALYZE and a CHECKPOINT, so no
background maintenance of the fill runs during the measures. The same workload then runs for BENCH_SECONDS
on each size in turn, BENCH_GROWTH_ROUNDS (3) times round-robin, so a shared machine's load weighs on every
size alike; the median of the rounds is kept. Workload: single-event appends with their outbox row through
EventStore from 8 connections (new streams and existing ones), stream reads of random existing streams,
and a tail read of the whole log in commit order (a projection that is caught up). Plans: EXPLAIN ANALYZE of
the stream read and the version check at each size, with the buffers they touch (an index scan touches the
same few pages whatever the table's size; a scan would touch them all).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable

import asyncpg

from services.db import create_pool
from services.eventstore import EventStore, LogPosition, NewEvent
from services.log_reader import Conn
from tests.perf.bench_event_store import DATA, TENANT, Schema, dsn, envelope
from tests.perf.table import Figure, Target, scale

SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_GROWTH_ROUNDS", "3"))
TARGET = int(os.environ.get("BENCH_GROWTH_EVENTS", str(1_000_000 * scale())))
STREAM_LENGTH = 20
CONNECTIONS = 8
STEP = 1_000_000
DATA_JSON = json.dumps(DATA)

_FILL_EVENTS = """
INSERT INTO events (stream_id, stream_version, event_id, event_type, data, tenant, recorded_at)
SELECT 'member-' || (g / $3), (g % $3) + 1, gen_random_uuid(), 'MemberApplied', $4::jsonb, $5,
       now() - interval '5 years' + g * interval '15 seconds'
FROM generate_series($1::bigint, $2::bigint - 1) AS g
"""
_FILL_OUTBOX = """
INSERT INTO outbox (topic, message_key, event_id, envelope, created_at)
SELECT 'members.events', 'member-' || (g / $3), gen_random_uuid(), $4::jsonb,
       now() - interval '5 years' + g * interval '15 seconds'
FROM generate_series($1::bigint, $2::bigint - 1) AS g
"""


def sizes() -> list[int]:
    wanted = [100_000, 1_000_000, TARGET]
    return sorted({size for size in wanted if size <= TARGET})


async def fill(conn: Conn, start: int, end: int) -> None:
    sample = envelope("member-0", 1).model_dump_json()
    for low in range(start, end, STEP):
        high = min(end, low + STEP)
        await conn.execute(_FILL_EVENTS, low, high, STREAM_LENGTH, DATA_JSON, TENANT)
        await conn.execute(_FILL_OUTBOX, low, high, STREAM_LENGTH, sample)
    await conn.execute("ANALYZE events; ANALYZE outbox")


async def latencies(workers: int, one: Callable[[int], Awaitable[None]]) -> tuple[float, float, float]:
    """Runs `one(worker)` in a loop on each worker for SECONDS: (operations/s, p50 ms, p99 ms)."""
    deadline = time.perf_counter() + SECONDS
    samples: list[float] = []

    async def loop(w: int) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await one(w)
            samples.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(loop(w) for w in range(workers)))
    elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(samples, n=100)
    return len(samples) / elapsed, quantiles[49] * 1000, quantiles[98] * 1000


async def measure(
    pool: asyncpg.Pool, size: int, extra_versions: dict[str, int]
) -> dict[str, tuple[float, float, float]]:
    """The workload at this size; `extra_versions`: the versions earlier sizes' appends gave old streams."""
    store = EventStore(pool)
    streams = size // STREAM_LENGTH
    counters = [0] * CONNECTIONS

    async def append_new(w: int) -> None:
        sid = f"new-{size}-{w}-{random.getrandbits(64)}"
        await store.append(
            sid, 0, [NewEvent("ThingHappened", DATA)], tenant=TENANT, outbox=[envelope(sid, 1)]
        )

    async def append_existing(w: int) -> None:
        # Worker w extends old streams whose number is w modulo CONNECTIONS: no conflicts between workers,
        # and the version check reads the big (stream_id, stream_version) index.
        turn = counters[w]
        counters[w] += 1
        sid = f"member-{(turn * CONNECTIONS + w) % (streams - streams % CONNECTIONS)}"
        version = extra_versions.get(sid, STREAM_LENGTH)
        await store.append(
            sid,
            version,
            [NewEvent("ThingHappened", DATA)],
            tenant=TENANT,
            outbox=[envelope(sid, version + 1)],
        )
        extra_versions[sid] = version + 1

    async def read_stream(w: int) -> None:
        events = await store.read_stream(f"member-{random.randrange(streams)}")
        assert len(events) >= STREAM_LENGTH

    tail = await _tail_position(pool)

    async def read_tail(w: int) -> None:
        await store.read_all(tail, 500)

    return {
        "append, new stream": await latencies(CONNECTIONS, append_new),
        "append, existing stream": await latencies(CONNECTIONS, append_existing),
        "read one stream (20 events)": await latencies(CONNECTIONS, read_stream),
        "read the log's tail (500)": await latencies(CONNECTIONS, read_tail),
    }


async def _tail_position(pool: asyncpg.Pool) -> LogPosition:
    row = await pool.fetchrow(
        "SELECT tx_id::text::bigint AS tx, global_position FROM events"
        " ORDER BY global_position DESC OFFSET 500 LIMIT 1"
    )
    assert row is not None, "the log is shorter than its tail"
    return LogPosition(row["tx"], row["global_position"])


async def plans(pool: asyncpg.Pool, size: int) -> tuple[list[str], int, bool]:
    """EXPLAIN ANALYZE of the stream read and the version check on a few streams: the lines to print, the most
    buffers one touched, and whether any plan scanned the table."""
    shown, most, scanned = [], 0, False
    for n in (42, size // STREAM_LENGTH // 2, size // STREAM_LENGTH - 1):
        for what, sql in (
            (
                "stream read",
                f"SELECT * FROM events WHERE stream_id = 'member-{n}' AND stream_version >= 1"
                " ORDER BY stream_version",
            ),
            ("version check", f"SELECT max(stream_version) FROM events WHERE stream_id = 'member-{n}'"),
        ):
            explained = await pool.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
            plan = json.loads(explained)[0]["Plan"]
            text = json.dumps(plan)
            buffers = int(plan.get("Shared Hit Blocks", 0)) + int(plan.get("Shared Read Blocks", 0))
            most = max(most, buffers)
            scanned = scanned or "Seq Scan" in text
            if n == 42:
                kind = "SEQUENTIAL SCAN" if "Seq Scan" in text else "index"
                index = next((m for m in ("events_stream_id_stream_version_key",) if m in text), "")
                shown.append(f"{what}: {kind} {index}; {buffers} buffers, {plan['Actual Total Time']:.3f} ms")
    return shown, most, scanned


async def run() -> list[Figure]:
    results: dict[int, dict[str, list[tuple[float, float, float]]]] = {}
    buffers: dict[int, int] = {}
    scans = 0
    async with contextlib.AsyncExitStack() as stack:
        pools: dict[int, asyncpg.Pool] = {}
        for size in sizes():
            schema = await stack.enter_async_context(Schema())
            pool = await create_pool(dsn(), schema.name, min_size=CONNECTIONS, max_size=CONNECTIONS)
            stack.push_async_callback(pool.close)
            started = time.perf_counter()
            async with pool.acquire() as conn:
                await fill(conn, 0, size)
                await conn.execute("VACUUM ANALYZE events")
                await conn.execute("VACUUM ANALYZE outbox")
                await conn.execute("CHECKPOINT")
            print(f"filled {size:,} events (+ outbox) in {time.perf_counter() - started:.0f} s", flush=True)
            pools[size] = pool
        for size, pool in pools.items():
            shown, buffers[size], scanned = await plans(pool, size)
            scans += scanned
            for line in shown:
                print(f"   {size:>12,}: {line}", flush=True)
        extended: dict[int, dict[str, int]] = {size: {} for size in pools}
        for turn in range(ROUNDS):
            for size, pool in pools.items():
                measured = await measure(pool, size, extended[size])
                for operation, figures in measured.items():
                    results.setdefault(size, {}).setdefault(operation, []).append(figures)
            print(f"round {turn + 1} of {ROUNDS} done; load average {os.getloadavg()[0]:.1f}", flush=True)
    medians = {
        size: {op: _median(samples) for op, samples in by_op.items()} for size, by_op in results.items()
    }
    first, last = min(buffers), max(buffers)
    return [
        *report(medians),
        Figure(
            "sequential scans in the stream read and version check plans, all sizes",
            scans,
            "",
            Target.below(1),
            "EXPLAIN ANALYZE at each size",
        ),
        Figure(
            f"buffers one stream read touches at {last:,} / at {first:,} events",
            buffers[last] / max(1, buffers[first]),
            "x",
            Target.below(2),
            f"{buffers[last]} against {buffers[first]} buffers (EXPLAIN ANALYZE BUFFERS)",
        ),
    ]


def _median(samples: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    return (
        statistics.median(s[0] for s in samples),
        statistics.median(s[1] for s in samples),
        statistics.median(s[2] for s in samples),
    )


def report(results: dict[int, dict[str, tuple[float, float, float]]]) -> list[Figure]:
    first, last = min(results), max(results)
    print(
        "\n| operation | "
        + " | ".join(f"{size:,} events: ops/s (p50 / p99 ms)" for size in results)
        + f" | {last:,} / {first:,} |"
    )
    print("| --- | " + " | ".join("---:" for _ in results) + " | ---: |")
    figures = []
    for operation in results[first]:
        cells = [
            f"{r[operation][0]:,.0f} ({r[operation][1]:.2f} / {r[operation][2]:.2f})"
            for r in results.values()
        ]
        ratio = results[last][operation][0] / results[first][operation][0]
        print(f"| {operation} | " + " | ".join(cells) + f" | {ratio:.2f} |")
        rate, p50, _ = results[last][operation]
        small = results[first][operation]
        # Flat means within the noise of a shared machine: at least half the small table's rate.
        figures.append(
            Figure(
                f"{operation}: rate at {last:,} / at {first:,} events",
                ratio,
                "x",
                Target.at_least(0.5),
                f"{rate:,.0f} ops/s p50 {p50:.2f} ms at {last:,}; {small[0]:,.0f} ops/s p50 {small[1]:.2f} ms"
                f" at {first:,}",
            )
        )
    return figures


def main() -> list[Figure]:
    return asyncio.run(run())


if __name__ == "__main__":
    main()
