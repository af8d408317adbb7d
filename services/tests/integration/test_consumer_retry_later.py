"""A handler that needs something unavailable (it raises RetryLater, or a peer refuses the connection) is
tried again past `max_attempts`, as long as it takes, and its message is never dead-lettered: a service that
takes longer to restart than the attempts last must not turn a good message into a dead letter."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "procs"))

from bus_support import bootstrap, bus_world, dsn, effect_recorder, publish, wait_until

from services.consumer import ConsumerRunner, RetryLater, RetryPolicy, dead_letter_count
from services.envelope import Envelope
from services.log_reader import Conn

__all__ = ["bootstrap", "dsn"]

ATTEMPTS = 3


class PeerDown:
    """Unavailable for `outage` attempts (RetryLater, then a refused connection), then handles the message."""

    def __init__(self, consumer: str, outage: int) -> None:
        self.record = effect_recorder(consumer)
        self.outage = outage
        self.attempts = 0

    async def __call__(self, conn: Conn, envelope: Envelope) -> None:
        self.attempts += 1
        if self.attempts <= self.outage // 2:
            raise RetryLater("the peer answered 503")
        if self.attempts <= self.outage:
            raise ConnectionRefusedError(111, "Connect call failed")
        await self.record(conn, envelope)


@pytest.mark.parametrize("kind", ["postgres", pytest.param("kafka", marks=pytest.mark.kafka)])
async def test_an_unavailable_peer_is_waited_for_past_the_attempts_and_nothing_is_dead_lettered(
    kind: str, dsn: str, bootstrap: str
) -> None:
    async with bus_world(kind, dsn, bootstrap, partitions=1) as world:
        name = world.group("later")
        handler = PeerDown(name, outage=4 * ATTEMPTS)
        retry = RetryPolicy(max_attempts=ATTEMPTS, base_delay=0.01, max_delay=0.05)
        pool = world.consumer_pool
        runner = ConsumerRunner(pool, world.transport, name, [world.topic], handler, retry=retry)
        world.background(runner.run(world.stop))
        sent = await publish(world.store, world.producer, "s", 1)

        async def handled() -> bool:
            return await world.effect_count() == 1

        await wait_until(handled, 60, "the message handled once the peer is back")
        assert handler.attempts == 4 * ATTEMPTS + 1
        assert await dead_letter_count(pool) == 0
        [effect] = await world.effects()
        assert effect["event_id"] == sent.event_id
        assert (runner.processed, runner.dead_lettered) == (1, 0)
