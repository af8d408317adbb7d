"""Projections follow the event log in commit order, and a rebuild from zero gives the same read model."""

from __future__ import annotations

import asyncio
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "procs"))

from bus_support import drop_schema, dsn, make_schema, unique_name, wait_until

from services.bus.wakeup import PgNotifier
from services.eventstore.store import EventStore
from services.eventstore.types import NewEvent, RecordedEvent
from services.log_reader import Conn
from services.projection import ProjectionRunner
from services.runtime import ServiceDefinition, ServiceRuntime
from services.settings import ServiceSettings

__all__ = ["dsn"]


class StreamTotals:
    """Per stream: how many events, the last version seen, the sum of `n`, and whether versions only grew."""

    name = "stream_totals"

    async def handle(self, conn: Conn, event: RecordedEvent) -> None:
        if event.event_type != "Counted":
            return  # projections ignore what they do not know
        await conn.execute(
            """INSERT INTO stream_totals (stream_id, events, last_version, total, in_order)
               VALUES ($1, 1, $2, $3, true)
               ON CONFLICT (stream_id) DO UPDATE SET
                   events = stream_totals.events + 1,
                   last_version = excluded.last_version,
                   total = stream_totals.total + excluded.total,
                   in_order = stream_totals.in_order
                       AND excluded.last_version > stream_totals.last_version""",
            event.stream_id,
            event.stream_version,
            event.data["n"],
        )

    async def reset(self, conn: Conn) -> None:
        await conn.execute("TRUNCATE stream_totals")


async def test_incremental_projection_and_rebuild_from_zero_give_the_same_read_model(dsn: str) -> None:
    schema = unique_name("proj")
    pool = await make_schema(dsn, schema)
    await pool.execute(
        "CREATE TABLE stream_totals (stream_id text PRIMARY KEY, events int NOT NULL,"
        " last_version int NOT NULL, total bigint NOT NULL, in_order boolean NOT NULL)"
    )
    notifier = PgNotifier(pool)
    store = EventStore(pool, after_commit=notifier.hook(schema))
    projection = StreamTotals()
    runner = ProjectionRunner(pool, [projection], schema=schema, batch_size=37)
    stop = asyncio.Event()
    task = asyncio.ensure_future(runner.run(stop))
    try:

        async def writer(w: int, per_writer: int = 60) -> None:
            versions: dict[str, int] = defaultdict(int)
            for i in range(per_writer):
                stream = f"s-{w}-{i % 4}"
                events = [NewEvent("Counted", {"n": i})]
                if i % 7 == 0:
                    events.append(NewEvent("SomethingElse", {}))
                await store.append(stream, versions[stream], events, tenant="smartfr")
                versions[stream] += len(events)

        await asyncio.gather(*(writer(w) for w in range(8)))

        async def caught_up() -> bool:
            last = await pool.fetchval("SELECT max(global_position) FROM events")
            return (await runner.position(projection)).position == last

        await wait_until(caught_up, 30, "the projection to catch up")
        incremental = await _model(pool)
        expected = await pool.fetch(
            "SELECT stream_id, count(*)::int AS events, max(stream_version) AS last_version,"
            " sum((data->>'n')::bigint)::bigint AS total, true AS in_order"
            " FROM events WHERE event_type = 'Counted' GROUP BY stream_id ORDER BY stream_id"
        )
        assert incremental == [tuple(r.values()) for r in expected]
        assert len(incremental) == 32

        # A rebuild beside the live runner, while a writer keeps appending: the lock serialises them.
        more = asyncio.ensure_future(writer(99, 40))
        replayed = await runner.rebuild(projection)
        await more
        assert replayed > 0  # the live runner may have applied some of the replay's batches
        await wait_until(caught_up, 30, "the projection to catch up after the rebuild")
        rebuilt = await _model(pool)
        assert [row for row in rebuilt if not row[0].startswith("s-99-")] == incremental
        assert all(row[4] for row in rebuilt)
        assert sum(row[1] for row in rebuilt) == 8 * 60 + 40
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await notifier.drain()
        await pool.close()
        await drop_schema(dsn, schema)


async def _model(pool: object) -> list[tuple[object, ...]]:
    rows = await pool.fetch("SELECT * FROM stream_totals ORDER BY stream_id")  # type: ignore[attr-defined]
    return [tuple(r.values()) for r in rows]


class Applied:
    """A projection that only counts the events it was given."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.events = 0

    async def handle(self, conn: Conn, event: RecordedEvent) -> None:
        self.events += 1

    async def reset(self, conn: Conn) -> None:
        self.events = 0


async def test_an_inline_projection_is_not_run_live_but_a_rebuild_replays_it(dsn: str) -> None:
    schema = unique_name("inline")
    live, inline = Applied("live"), Applied("inline")
    definition = ServiceDefinition(
        name="inline-test",
        title="inline test",
        migrations=None,
        routers=[],
        projections=lambda service: [live],
        inline_projections=lambda service: [inline],
    )
    settings = ServiceSettings(database_url=dsn, db_schema=schema)
    runtime = ServiceRuntime(definition, settings, poll_interval=0.1)
    await runtime.start()
    try:
        store = EventStore(runtime.pool)
        counted = [NewEvent("Counted", {"n": 1}), NewEvent("Counted", {"n": 2})]
        await store.append("s-1", 0, counted, tenant="t")

        async def caught_up() -> bool:
            return live.events == 2

        await wait_until(caught_up, 30, "the live projection to catch up")
        assert runtime.projection_runner is not None
        assert runtime.projection_runner.projections == [live]
        assert inline.events == 0  # its read model is written by the commands themselves

        rebuildable = definition.rebuildable(runtime.service)
        assert rebuildable == [live, inline]
        assert await ProjectionRunner(runtime.pool, rebuildable, schema=schema).rebuild(inline) == 2
        assert inline.events == 2
    finally:
        await runtime.stop()
        await drop_schema(dsn, schema)


class Breakable(Applied):
    """Counts its events in a table; fails on every event while `broken`."""

    broken = False

    async def handle(self, conn: Conn, event: RecordedEvent) -> None:
        if self.broken:
            raise RuntimeError(f"{self.name} cannot take {event.event_type} now")
        await conn.execute(
            "INSERT INTO applied (projection, events) VALUES ($1, 1)"
            " ON CONFLICT (projection) DO UPDATE SET events = applied.events + 1",
            self.name,
        )


async def test_projections_run_together_and_one_broken_does_not_hold_back_the_others(dsn: str) -> None:
    schema = unique_name("together")
    pool = await make_schema(dsn, schema)
    await pool.execute("CREATE TABLE applied (projection text PRIMARY KEY, events int NOT NULL)")
    healthy, broken = Breakable("healthy"), Breakable("broken")
    broken.broken = True
    runner = ProjectionRunner(pool, [healthy, broken], schema=schema, batch_size=7, retry_delay=0.05)
    stop = asyncio.Event()
    task = asyncio.ensure_future(runner.run(stop))
    store = EventStore(pool)

    async def applied() -> dict[str, int]:
        return {r["projection"]: r["events"] for r in await pool.fetch("SELECT * FROM applied")}

    try:
        # Given 20 events, and one of the two projections unable to take any
        await store.append("s-1", 0, [NewEvent("Counted", {"n": n}) for n in range(20)], tenant="t")

        # Then the healthy one takes them all, the broken one none (its checkpoint stays at the start)
        async def healthy_done() -> bool:
            return (await applied()).get("healthy") == 20

        await wait_until(healthy_done, 30, "the healthy projection to take every event")
        assert "broken" not in await applied()
        assert (await runner.position(broken)).position == 0

        # When it is mended, it catches up alone, and 10 more events are taken by both together
        broken.broken = False

        async def both_done() -> bool:
            return await applied() == {"healthy": 20, "broken": 20}

        await wait_until(both_done, 30, "the mended projection to catch up")
        await store.append("s-1", 20, [NewEvent("Counted", {"n": n}) for n in range(10)], tenant="t")

        async def all_thirty() -> bool:
            return await applied() == {"healthy": 30, "broken": 30}

        await wait_until(all_thirty, 30, "both projections to take the new events")
        # Then each projection took each event once, and both checkpoints stand at the last event
        last = await pool.fetchval("SELECT max(global_position) FROM events")
        assert [(await runner.position(p)).position for p in (healthy, broken)] == [last, last]
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await pool.close()
        await drop_schema(dsn, schema)
