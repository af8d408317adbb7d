"""The relay rides out a broker stop and restart: what was written meanwhile is published once it is back."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent / "procs"))

from bus_support import bus_world, dsn, effect_recorder, publish, wait_until

from services.consumer import ConsumerRunner

__all__ = ["dsn"]


def _controllable_broker(request: pytest.FixtureRequest) -> Any:
    try:
        return request.getfixturevalue("controllable_kafka")  # skips when the broker is the environment's
    except pytest.FixtureLookupError:
        pytest.skip("needs the test kit's controllable_kafka fixture (services.testkit.pytest_plugin)")


@pytest.mark.kafka
@pytest.mark.slow
async def test_the_relay_keeps_publishing_across_a_broker_stop_and_restart_and_loses_nothing(
    request: pytest.FixtureRequest, dsn: str
) -> None:
    broker = _controllable_broker(request)
    async with bus_world("kafka", dsn, broker.bootstrap) as world:
        assert world.relay is not None
        relay = world.relay
        group = world.group("restart")
        runner = ConsumerRunner(
            world.consumer_pool, world.transport, group, [world.topic], effect_recorder(group)
        )
        world.background(runner.run(world.stop))
        versions: Counter[str] = Counter()

        async def write(n: int) -> None:
            for i in range(n):
                stream = f"s-{i % 3}"
                versions[stream] += 1
                await publish(world.store, world.producer, stream, versions[stream])

        await write(30)
        await wait_until(
            lambda: _effects(world, 30), 60, "30 effects before the outage", diagnose=world.diagnose
        )

        await broker.stop()
        failures_before = relay.failures
        await write(30)
        # The relay noticed the outage and kept the rows: backlog and age say so.
        await wait_until(lambda: _failed_since(relay, failures_before), 60, "the relay to hit the outage")
        assert await relay.backlog() == 30
        age = await relay.oldest_unpublished_age()
        assert age is not None
        assert age > 0

        await broker.start()
        await wait_until(
            lambda: _effects(world, 60), 120, "60 effects after the restart", diagnose=world.diagnose
        )
        await wait_until(lambda: _backlog_empty(relay), 30, "the relay's backlog to empty")
        assert await relay.oldest_unpublished_age() is None

        rows = await world.effects()
        assert len(rows) == 60
        assert set(Counter(r["event_id"] for r in rows).values()) == {1}
        outbox = {r["event_id"] for r in await world.producer_pool.fetch("SELECT event_id FROM outbox")}
        assert {r["event_id"] for r in rows} == outbox
        print(f"relay failures during the outage: {relay.failures - failures_before}")


async def _effects(world: Any, n: int) -> bool:
    return bool(await world.effect_count() >= n)


async def _failed_since(relay: Any, before: int) -> bool:
    return bool(relay.failures > before)


async def _backlog_empty(relay: Any) -> bool:
    return bool(await relay.backlog() == 0)
