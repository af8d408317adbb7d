"""A consumer with `concurrency` handles different keys side by side and one key's messages in order, each
effect once; the batch is acknowledged after all of them (a restarted consumer finds nothing left)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "procs"))

from bus_support import bootstrap, bus_world, dsn, effect_recorder, publish, wait_until

from services.consumer import ConsumerRunner
from services.envelope import Envelope
from services.log_reader import Conn

__all__ = ["bootstrap", "dsn"]

STREAMS, VERSIONS, CONCURRENCY = 4, 5, 3


class Watched:
    """Records the effect (holding its transaction open a moment) and how many ran at once, per key too."""

    def __init__(self, consumer: str) -> None:
        self.record = effect_recorder(consumer, delay=0.05)
        self.running: dict[str, int] = {}
        self.most_at_once = 0
        self.most_of_one_key = 0

    async def __call__(self, conn: Conn, envelope: Envelope) -> None:
        key = envelope.stream_id
        self.running[key] = self.running.get(key, 0) + 1
        self.most_at_once = max(self.most_at_once, sum(self.running.values()))
        self.most_of_one_key = max(self.most_of_one_key, self.running[key])
        try:
            await self.record(conn, envelope)
        finally:
            self.running[key] -= 1


@pytest.mark.parametrize("kind", ["postgres", pytest.param("kafka", marks=pytest.mark.kafka)])
async def test_keys_side_by_side_one_key_in_order_each_effect_once(
    kind: str, dsn: str, bootstrap: str
) -> None:
    async with bus_world(kind, dsn, bootstrap, partitions=1) as world:
        name = world.group("lanes")
        for version in range(1, VERSIONS + 1):  # interleaved: s0 v1, s1 v1, ... s0 v2 ...
            for stream in range(STREAMS):
                await publish(world.store, world.producer, f"s{stream}", version)
        handler = Watched(name)
        runner = ConsumerRunner(
            world.consumer_pool, world.transport, name, [world.topic], handler, concurrency=CONCURRENCY
        )
        world.background(runner.run(world.stop))

        async def all_handled() -> bool:
            return int(await world.effect_count()) == STREAMS * VERSIONS

        await wait_until(all_handled, 60, "every message handled")
        effects = await world.effects()
        assert len({e["event_id"] for e in effects}) == STREAMS * VERSIONS
        for stream in range(STREAMS):
            versions = [e["stream_version"] for e in effects if e["stream_id"] == f"s{stream}"]
            assert versions == list(range(1, VERSIONS + 1)), "one key's messages out of order"
        assert handler.most_of_one_key == 1
        assert 1 < handler.most_at_once <= CONCURRENCY

        async def acknowledged() -> bool:
            return await runner.lag() == 0

        await wait_until(acknowledged, 60, "the batch acknowledged")
        assert runner.processed == STREAMS * VERSIONS
        assert runner.skipped == 0
