"""A consumer whose handler keeps its effects in the process's memory (`InMemory`, a cache's): every message
handled, each key in order, nothing recorded in the database; a new instance of the group resumes where the
broker's offsets say, not from the start."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "procs"))

from bus_support import BusWorld, bootstrap, bus_world, dsn, publish, wait_until

from services.consumer import ConsumerRunner, InMemory
from services.envelope import Envelope

__all__ = ["bootstrap", "dsn"]

STREAMS, VERSIONS = 4, 5


class Remembering:
    """An in-memory effect: what the handler saw, in order."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    async def handle(self, envelope: Envelope) -> None:
        self.seen.append((envelope.stream_id, envelope.stream_version))


async def publish_versions(world: BusWorld, versions: range) -> None:
    for version in versions:
        for stream in range(STREAMS):
            await publish(world.store, world.producer, f"s{stream}", version)


async def recorded_for(world: BusWorld, name: str) -> tuple[int, int]:
    """The consumer's inbox rows and saved offsets."""
    inbox = await world.consumer_pool.fetchval("SELECT count(*) FROM inbox WHERE consumer = $1", name)
    offsets = await world.consumer_pool.fetchval(
        "SELECT count(*) FROM checkpoints WHERE name LIKE $1", f"kafka-offset:{name}:%"
    )
    return inbox, offsets


@pytest.mark.kafka
async def test_an_in_memory_consumer_records_nothing_and_a_new_instance_resumes_from_the_broker(
    dsn: str, bootstrap: str
) -> None:
    async with bus_world("kafka", dsn, bootstrap, partitions=1) as world:
        # Given 20 messages of 4 keys
        await publish_versions(world, range(1, VERSIONS + 1))
        name = world.group("in-memory")
        # When an in-memory consumer takes them
        cache = Remembering()
        first = ConsumerRunner(
            world.consumer_pool, world.transport, name, [world.topic], InMemory(cache.handle)
        )
        running = world.background(first.run(world.stop))

        async def acknowledged() -> bool:
            return len(cache.seen) == STREAMS * VERSIONS and await first.lag() == 0

        await wait_until(acknowledged, 60, "every message handled and acknowledged on the broker")
        # Then each key's messages in order, and nothing recorded in the database
        for stream in range(STREAMS):
            assert [v for s, v in cache.seen if s == f"s{stream}"] == list(range(1, VERSIONS + 1))
        assert await recorded_for(world, name) == (0, 0)
        assert (first.processed, first.dead_lettered) == (STREAMS * VERSIONS, 0)

        # When it stops, 4 more messages come, and a new instance of the group starts
        first.stop()
        await running
        await publish_versions(world, range(VERSIONS + 1, VERSIONS + 2))
        restarted = Remembering()
        second = ConsumerRunner(
            world.consumer_pool, world.transport, name, [world.topic], InMemory(restarted.handle)
        )
        world.background(second.run(world.stop))

        async def caught_up() -> bool:
            return len(restarted.seen) >= STREAMS and await second.lag() == 0

        await wait_until(caught_up, 60, "the new messages handled by the new instance")
        # Then it took only those: where the first got to is on the broker
        assert sorted(restarted.seen) == [(f"s{stream}", VERSIONS + 1) for stream in range(STREAMS)]
        assert await recorded_for(world, name) == (0, 0)
