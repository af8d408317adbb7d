"""A message that keeps failing is dead-lettered after max_attempts, the runner goes on, and replay works."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

sys.path.insert(0, str(Path(__file__).parent / "procs"))

from bus_support import bootstrap, bus_world, dsn, effect_recorder, publish, wait_until

from services.consumer import (
    ConsumerRunner,
    RetryPolicy,
    dead_letter_count,
    pending_dead_letters,
    replay_dead_letter,
)
from services.envelope import Envelope
from services.log_reader import Conn

__all__ = ["bootstrap", "dsn"]


class Flaky:
    """Fails every poisoned message until fixed; counts the attempts."""

    def __init__(self, consumer: str) -> None:
        self.record = effect_recorder(consumer)
        self.fixed = False
        self.attempts = 0

    async def __call__(self, conn: Conn, envelope: Envelope) -> None:
        await self.record(conn, envelope)  # written, then rolled back with the failure
        if envelope.data.get("poison") and not self.fixed:
            self.attempts += 1
            raise RuntimeError("cannot digest this")


@pytest.mark.parametrize("kind", ["postgres", pytest.param("kafka", marks=pytest.mark.kafka)])
async def test_a_message_that_always_fails_is_dead_lettered_the_rest_flow_and_it_replays_once_fixed(
    kind: str, dsn: str, bootstrap: str
) -> None:
    async with bus_world(kind, dsn, bootstrap, partitions=1) as world:
        name = world.group("dlq")
        handler = Flaky(name)
        retry = RetryPolicy(max_attempts=3, base_delay=0.01)
        runner = ConsumerRunner(
            world.consumer_pool, world.transport, name, [world.topic], handler, retry=retry
        )
        world.background(runner.run(world.stop))
        sent = []
        for v in range(1, 6):
            sent.append(await publish(world.store, world.producer, "s", v, poison=v == 3))
        poisoned = sent[2]

        await wait_until(lambda: _effects(world, 4), 60, "the four good messages", diagnose=world.diagnose)
        assert handler.attempts == 3
        assert runner.dead_lettered == 1
        # The one after the poisoned message was handled too: the runner moved on.
        handled = [r["event_id"] for r in await world.effects()]
        assert handled == [e.event_id for e in sent if e is not poisoned]

        pending = await pending_dead_letters(world.consumer_pool, name)
        assert await dead_letter_count(world.consumer_pool, name) == 1
        assert [(p[1], p[2]) for p in pending] == [(poisoned.event_id, "RuntimeError: cannot digest this")]
        row = await world.consumer_pool.fetchrow("SELECT * FROM dead_letters WHERE id = $1", pending[0][0])
        assert row["attempts"] == 3
        assert row["topic"] == world.topic
        assert Envelope.model_validate_json(row["envelope"]) == poisoned

        if kind == "kafka":
            assert await _dead_letter_topic_holds(bootstrap, f"{world.topic}.dlq", poisoned)

        # Still broken: the replay fails and the dead letter stays pending.
        with pytest.raises(RuntimeError):
            await replay_dead_letter(world.consumer_pool, pending[0][0], handler)
        assert len(await pending_dead_letters(world.consumer_pool, name)) == 1

        handler.fixed = True
        assert await runner.replay_dead_letter(pending[0][0]) is True
        assert await runner.replay_dead_letter(pending[0][0]) is False  # only once
        assert await pending_dead_letters(world.consumer_pool, name) == []
        assert await dead_letter_count(world.consumer_pool) == 0
        handled = [r["event_id"] for r in await world.effects()]
        assert sorted(handled) == sorted(e.event_id for e in sent)


async def _effects(world: object, n: int) -> bool:
    return await world.effect_count() >= n  # type: ignore[attr-defined,no-any-return]


async def _dead_letter_topic_holds(bootstrap: str, topic: str, envelope: Envelope) -> bool:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    headers = dict(record.headers)
                    if Envelope.model_validate_json(record.value) == envelope:
                        assert record.key == envelope.stream_id.encode()
                        assert b"cannot digest" in headers["x-dead-letter-error"]
                        assert headers["traceparent"].startswith(b"00-4bf92f35")
                        return True
        return False
    finally:
        await consumer.stop()
