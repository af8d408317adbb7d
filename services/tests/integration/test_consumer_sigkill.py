"""A consumer process SIGKILLed in the middle of a batch and restarted: no effect lost, none duplicated."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections import defaultdict
from pathlib import Path

import pytest

PROCS = Path(__file__).parent / "procs"
sys.path.insert(0, str(PROCS))

from bus_support import bootstrap, bus_world, dsn, publish, wait_until  # noqa: E402

__all__ = ["bootstrap", "dsn"]


async def _start(world: object, group: str, batch: int) -> asyncio.subprocess.Process:
    w = world
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(PROCS / "bus_consumer.py"),
        w.kind,  # type: ignore[attr-defined]
        w.dsn,  # type: ignore[attr-defined]
        w.bootstrap,  # type: ignore[attr-defined]
        w.consumer,  # type: ignore[attr-defined]
        w.topic,  # type: ignore[attr-defined]
        group,
        "0.02",
        str(batch),
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(PROCS)},
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    assert line.strip() == b"READY", line
    return proc


@pytest.mark.parametrize("kind", ["postgres", pytest.param("kafka", marks=pytest.mark.kafka)])
async def test_a_consumer_killed_mid_batch_and_restarted_leaves_every_effect_exactly_once(
    kind: str, dsn: str, bootstrap: str
) -> None:
    total, batch = 150, 50
    async with bus_world(kind, dsn, bootstrap) as world:
        for i in range(total):
            await publish(world.store, world.producer, f"s-{i % 5}", i // 5 + 1)
        if world.relay is not None:
            relay = world.relay
            await wait_until(lambda: _zero(relay.backlog()), 30, "the relay to publish everything")
        group = world.group("crash")

        first = await _start(world, group, batch)
        # Effects commit one by one, the acknowledgement only after a batch of 50: 70 is mid-batch.
        await wait_until(lambda: _at_least(world, 70), 60, "70 effects before the kill")
        first.send_signal(signal.SIGKILL)
        await first.wait()
        at_kill = await world.effect_count()
        assert at_kill < total, "the consumer finished before it was killed; the test proved nothing"

        second = await _start(world, group, batch)
        try:
            await wait_until(
                lambda: _distinct(world, total), 90, f"{total} distinct effects", diagnose=world.diagnose
            )
        finally:
            second.send_signal(signal.SIGTERM)
            out, _ = await asyncio.wait_for(second.communicate(), 30)
        stats = re.search(rb"STATS processed=(\d+) skipped=(\d+)", out)
        assert stats is not None, out
        processed, skipped = int(stats.group(1)), int(stats.group(2))

        rows = await world.effects()
        per_event: dict[object, int] = defaultdict(int)
        for r in rows:
            per_event[r["event_id"]] += 1
        assert len(rows) == total
        assert set(per_event.values()) == {1}
        # The restarted consumer was handed again what the killed one had done but not acknowledged.
        assert skipped > 0
        assert processed == total - at_kill
        by_stream: dict[str, list[int]] = defaultdict(list)
        for r in rows:
            by_stream[r["stream_id"]].append(r["stream_version"])
        assert all(v == sorted(v) for v in by_stream.values())
        print(f"{kind}: killed at {at_kill} effects; the restart skipped {skipped} and processed {processed}")


async def _at_least(world: object, n: int) -> bool:
    return await world.effect_count() >= n  # type: ignore[attr-defined,no-any-return]


async def _distinct(world: object, n: int) -> bool:
    pool = world.consumer_pool  # type: ignore[attr-defined]
    return int(await pool.fetchval("SELECT count(DISTINCT event_id) FROM effects")) >= n


async def _zero(value: object) -> bool:
    return await value == 0  # type: ignore[misc]
