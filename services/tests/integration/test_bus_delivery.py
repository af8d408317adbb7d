"""Envelopes written to the outbox reach a consumer runner once each, in order per key, on both transports."""

from __future__ import annotations

import asyncio
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "procs"))

from bus_support import (
    bootstrap,
    bus_world,
    dsn,
    effect_recorder,
    publish,
    wait_until,
)

from services.consumer import ConsumerRunner

__all__ = ["bootstrap", "dsn"]

TRANSPORTS = [pytest.param("postgres"), pytest.param("kafka", marks=pytest.mark.kafka)]


@pytest.mark.parametrize("kind", TRANSPORTS)
async def test_every_envelope_is_handled_once_in_order_per_key_while_writers_run_concurrently(
    kind: str, dsn: str, bootstrap: str
) -> None:
    writers, per_writer, streams_per_writer = 8, 50, 5
    total = writers * per_writer
    async with bus_world(kind, dsn, bootstrap) as world:
        c1 = world.group("c1")
        runner = ConsumerRunner(
            world.consumer_pool, world.transport, c1, [world.topic], effect_recorder(c1), batch_size=40
        )
        world.background(runner.run(world.stop))

        async def writer(w: int) -> None:
            versions: dict[str, int] = defaultdict(int)
            for i in range(per_writer):
                stream = f"s-{w}-{i % streams_per_writer}"
                versions[stream] += 1
                await publish(world.store, world.producer, stream, versions[stream])

        await asyncio.gather(*(writer(w) for w in range(writers)))
        await wait_until(
            lambda: _at_least(world, total), 60, f"{total} effects", diagnose=lambda: world.diagnose(runner)
        )
        # Anything extra would arrive now: let the runner drain what it has, then look.
        await wait_until(lambda: _no_lag(runner), 30, "the consumer's lag to reach 0")
        await wait_until(lambda: _idle(runner), 10, "the runner to be idle")

        rows = await world.effects()
        outbox = await world.producer_pool.fetch("SELECT event_id FROM outbox")
        assert len(rows) == total
        assert {r["event_id"] for r in rows} == {r["event_id"] for r in outbox}
        seen: dict[str, list[int]] = defaultdict(list)
        for r in rows:
            seen[r["stream_id"]].append(r["stream_version"])
        for stream, versions in seen.items():
            assert versions == sorted(versions), f"{stream} handled out of order: {versions}"
            assert versions == list(range(1, len(versions) + 1))
        assert runner.processed == total
        assert runner.dead_lettered == 0


@pytest.mark.parametrize("kind", TRANSPORTS)
async def test_a_second_consumer_group_gets_its_own_copy_and_a_restarted_runner_resumes(
    kind: str, dsn: str, bootstrap: str
) -> None:
    async with bus_world(kind, dsn, bootstrap) as world:
        for v in range(1, 21):
            await publish(world.store, world.producer, "s-1", v)
        a, b = world.group("a"), world.group("b")
        first = ConsumerRunner(world.consumer_pool, world.transport, a, [world.topic], effect_recorder(a))
        other = ConsumerRunner(world.consumer_pool, world.transport, b, [world.topic], effect_recorder(b))
        stop_first = asyncio.Event()
        task = asyncio.ensure_future(first.run(stop_first))
        world.background(other.run(world.stop))
        await wait_until(lambda: _count(world, a, 20), 60, "group a to handle 20")
        stop_first.set()
        await asyncio.wait_for(task, 30)

        for v in range(21, 31):
            await publish(world.store, world.producer, "s-1", v)
        again = ConsumerRunner(world.consumer_pool, world.transport, a, [world.topic], effect_recorder(a))
        world.background(again.run(world.stop))
        await wait_until(lambda: _count(world, a, 30), 60, "group a to handle 30")
        await wait_until(lambda: _count(world, b, 30), 60, "group b to handle 30")
        await wait_until(lambda: _idle(again), 10, "the runner to be idle")

        dupes = await world.consumer_pool.fetchval(
            "SELECT count(*) FROM (SELECT 1 FROM effects GROUP BY consumer, event_id HAVING count(*) > 1) d"
        )
        assert dupes == 0
        assert await world.effect_count() == 60
        # The restarted runner started from the acknowledgement, not from the beginning.
        assert again.processed == 10
        assert again.skipped == 0


async def test_the_postgres_transport_is_woken_by_notify_not_by_its_poll(dsn: str, bootstrap: str) -> None:
    async with bus_world("postgres", dsn, bootstrap) as world:
        world.transport.poll_interval = 30.0  # type: ignore[attr-defined]
        c = world.group("c")
        runner = ConsumerRunner(
            world.consumer_pool, world.transport, c, [world.topic], effect_recorder(c), fetch_timeout=30.0
        )
        world.background(runner.run(world.stop))
        await wait_until(lambda: _idle(runner, 0.3), 10, "the runner to settle")
        latencies = []
        for v in range(1, 6):
            started = time.monotonic()
            await publish(world.store, world.producer, "s", v)
            await wait_until(lambda v=v: _at_least(world, v), 5, f"effect {v}", interval=0.005)
            latencies.append(time.monotonic() - started)
        # A 30 s poll could not have done this: the NOTIFY after commit woke the subscriber.
        assert max(latencies) < 2.0, latencies
        print(f"append-to-effect latency over NOTIFY: max {max(latencies) * 1000:.1f} ms")


async def _at_least(world: object, n: int) -> bool:
    return await world.effect_count() >= n  # type: ignore[attr-defined,no-any-return]


async def _count(world: object, consumer: str, n: int) -> bool:
    pool = world.consumer_pool  # type: ignore[attr-defined]
    return int(await pool.fetchval("SELECT count(*) FROM effects WHERE consumer = $1", consumer)) >= n


async def _no_lag(runner: ConsumerRunner) -> bool:
    return await runner.lag() == 0


async def _idle(runner: ConsumerRunner, quiet: float = 1.0) -> bool:
    """True when the runner handled nothing new for `quiet` seconds."""
    before = (runner.processed, runner.skipped)
    await asyncio.sleep(quiet)
    return (runner.processed, runner.skipped) == before
