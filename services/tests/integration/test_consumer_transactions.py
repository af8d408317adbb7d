"""A consumer with `messages_per_transaction` commits several messages together: each effect still once, one
key's messages still in order, a bad message still retried and dead-lettered alone, a redelivery skipped."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent / "procs"))

from bus_support import BusWorld, bootstrap, bus_world, dsn, effect_recorder, publish, wait_until

from services.consumer import ConsumerRunner, RetryPolicy
from services.envelope import Envelope
from services.log_reader import Conn

__all__ = ["bootstrap", "dsn"]

STREAMS, VERSIONS = 4, 5
MESSAGES = STREAMS * VERSIONS
TRANSPORTS = ["postgres", pytest.param("kafka", marks=pytest.mark.kafka)]


def recording_transactions(consumer: str, poisoned: set[tuple[str, int]] | None = None):  # type: ignore[no-untyped-def]
    """Records each effect with the transaction it ran in; a poisoned (stream, version) always fails."""
    record = effect_recorder(consumer)

    async def handle(conn: Conn, envelope: Envelope) -> None:
        await record(conn, envelope)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS effect_transactions (event_id uuid PRIMARY KEY, tx xid8 NOT NULL)"
        )
        await conn.execute(
            "INSERT INTO effect_transactions VALUES ($1, pg_current_xact_id())", envelope.event_id
        )
        if (envelope.stream_id, envelope.stream_version) in (poisoned or set()):
            raise ValueError("a message this handler can never take")

    return handle


async def publish_interleaved(world: BusWorld) -> None:
    for version in range(1, VERSIONS + 1):  # s0 v1, s1 v1, ... s0 v2 ...
        for stream in range(STREAMS):
            await publish(world.store, world.producer, f"s{stream}", version)


def runner_of(world: BusWorld, name: str, **options: Any) -> ConsumerRunner:
    handler = recording_transactions(name, options.pop("poisoned", None))
    return ConsumerRunner(world.consumer_pool, world.transport, name, [world.topic], handler, **options)


async def handled_in_order_once(world: BusWorld, expected: int) -> list[int]:
    """Asserts each effect once and each stream's versions in order; the number of effects per stream."""
    effects = await world.effects()
    assert len(effects) == expected
    assert len({e["event_id"] for e in effects}) == expected, "an effect done twice"
    counts = []
    for stream in range(STREAMS):
        versions = [e["stream_version"] for e in effects if e["stream_id"] == f"s{stream}"]
        assert versions == sorted(versions), "one key's messages out of order"
        counts.append(len(versions))
    return counts


@pytest.mark.parametrize("kind", TRANSPORTS)
async def test_messages_share_transactions_each_effect_once_each_key_in_order(
    kind: str, dsn: str, bootstrap: str
) -> None:
    async with bus_world(kind, dsn, bootstrap, partitions=1) as world:
        # Given 20 messages of 4 keys, interleaved
        await publish_interleaved(world)
        name = world.group("together")
        # When a consumer takes them 10 to a transaction, 2 lanes side by side
        runner = runner_of(world, name, concurrency=2, messages_per_transaction=10)
        world.background(runner.run(world.stop))

        async def acknowledged() -> bool:
            return await world.effect_count() == MESSAGES and await runner.lag() == 0

        await wait_until(acknowledged, 60, "every message handled and acknowledged")
        # Then every effect once, in order per key, in fewer transactions than messages
        assert await handled_in_order_once(world, MESSAGES) == [VERSIONS] * STREAMS
        transactions = await world.consumer_pool.fetchval(
            "SELECT count(DISTINCT tx) FROM effect_transactions"
        )
        assert transactions < MESSAGES
        assert (runner.processed, runner.skipped, runner.dead_lettered) == (MESSAGES, 0, 0)


@pytest.mark.parametrize("kind", TRANSPORTS)
@pytest.mark.parametrize("per_transaction", [MESSAGES, 5])
async def test_a_bad_message_fails_its_transaction_then_alone_the_others_commit_once(
    kind: str, per_transaction: int, dsn: str, bootstrap: str
) -> None:
    async with bus_world(kind, dsn, bootstrap, partitions=1) as world:
        # Given 20 messages, one of which the handler can never take (the 10th: in the 2nd slice of 5)
        await publish_interleaved(world)
        name = world.group(f"poisoned-{per_transaction}")
        # When they are taken 20 (or 5) to a transaction
        runner = runner_of(
            world,
            name,
            poisoned={("s1", 3)},
            retry=RetryPolicy(max_attempts=2, base_delay=0.01),
            messages_per_transaction=per_transaction,
        )
        world.background(runner.run(world.stop))

        async def settled() -> bool:
            return runner.dead_lettered == 1 and await runner.lag() == 0

        await wait_until(settled, 60, "the bad message dead-lettered, the rest acknowledged")
        # Then the others' effects once each (the failed transaction left nothing), the bad one a dead letter
        assert await handled_in_order_once(world, MESSAGES - 1) == [5, 4, 5, 5]
        dead = await world.consumer_pool.fetch("SELECT envelope->>'stream_version' AS v FROM dead_letters")
        assert [row["v"] for row in dead] == ["3"]
        assert (runner.processed, runner.skipped) == (MESSAGES - 1, 0)


async def test_messages_delivered_again_are_skipped_together(dsn: str, bootstrap: str) -> None:
    async with bus_world("postgres", dsn, bootstrap) as world:
        # Given 20 messages handled 10 to a transaction
        await publish_interleaved(world)
        name = world.group("again")
        first = runner_of(world, name, messages_per_transaction=10)
        world.background(first.run(world.stop))

        async def all_handled() -> bool:
            return await world.effect_count() == MESSAGES and await first.lag() == 0

        await wait_until(all_handled, 60, "every message handled")
        first.stop()
        # When the consumer's cursor is lost and every message comes again
        await world.consumer_pool.execute("DELETE FROM checkpoints")
        again = runner_of(world, name, messages_per_transaction=10)
        world.background(again.run(world.stop))

        async def all_seen_again() -> bool:
            return again.skipped == MESSAGES

        await wait_until(all_seen_again, 60, "every message delivered again")
        # Then nothing is done twice
        assert await handled_in_order_once(world, MESSAGES) == [VERSIONS] * STREAMS
        assert again.processed == 0


class SubscribingThenPublishing:
    """The world's real transport; after its subscription's first fetch that found messages, one more
    message is published: it arrives while the consumer lingers over the batch it has."""

    def __init__(self, world: BusWorld) -> None:
        self.world = world
        self.name = world.transport.name

    def subscribe(self, group: str, topics: Any, resume_from: Any = None) -> Any:
        subscription = self.world.transport.subscribe(group, topics, resume_from)
        world, fetch, published = self.world, subscription.fetch, []

        async def fetch_then_publish(max_records: int, max_wait: float) -> Any:
            found = await fetch(max_records, max_wait)
            if found and not published:
                published.append(await publish(world.store, world.producer, "s1", 1))
            return found

        subscription.fetch = fetch_then_publish
        return subscription

    async def publish_dead_letter(self, delivery: Any, error: str) -> None:
        await self.world.transport.publish_dead_letter(delivery, error)


@pytest.mark.parametrize(("kind", "linger"), [(k, 1.0) for k in TRANSPORTS] + [("postgres", 0.0)])
async def test_a_lingering_consumer_takes_what_arrives_meanwhile_in_the_same_transaction(
    kind: str, linger: float, dsn: str, bootstrap: str
) -> None:
    async with bus_world(kind, dsn, bootstrap, partitions=1) as world:
        # Given one message, and another published right after the consumer's first fetch found it
        await publish(world.store, world.producer, "s0", 1)
        name = world.group(f"lingering-{linger}")
        handler = recording_transactions(name)
        transport: Any = SubscribingThenPublishing(world)
        # When the consumer takes messages 20 to a transaction, lingering (or not) over a short batch
        runner = ConsumerRunner(
            world.consumer_pool,
            transport,
            name,
            [world.topic],
            handler,
            messages_per_transaction=20,
            linger=linger,
        )
        world.background(runner.run(world.stop))

        async def both_handled() -> bool:
            return await world.effect_count() == 2

        await wait_until(both_handled, 60, "both messages handled")
        # Then, lingering, both effects committed in one transaction; without, each in its own
        transactions = await world.consumer_pool.fetchval(
            "SELECT count(DISTINCT tx) FROM effect_transactions"
        )
        assert transactions == (1 if linger else 2)


@pytest.mark.kafka
@pytest.mark.parametrize("messages_per_transaction", [1, 10])
async def test_a_batch_in_one_transaction_records_its_offset_in_that_transaction(
    messages_per_transaction: int, dsn: str, bootstrap: str
) -> None:
    async with bus_world("kafka", dsn, bootstrap, partitions=1) as world:
        # Given 5 messages of one key
        for version in range(1, 6):
            await publish(world.store, world.producer, "s0", version)
        name = world.group(f"offset-with-effects-{messages_per_transaction}")
        # When a consumer takes them
        runner = runner_of(world, name, messages_per_transaction=messages_per_transaction)
        world.background(runner.run(world.stop))
        offset = f"kafka-offset:{name}:{world.topic}:0"

        async def recorded_past_all() -> bool:
            position = await world.consumer_pool.fetchval(
                "SELECT position FROM checkpoints WHERE name = $1", offset
            )
            return position == 5

        await wait_until(recorded_past_all, 60, "the partition's offset recorded past the 5 messages")
        # Then the offset past them was written by the transaction that made the last one's effect
        last_effect = await world.consumer_pool.fetchval(
            "SELECT (t.tx::text::bigint % 4294967296)::text FROM effect_transactions t"
            " JOIN effects e USING (event_id) ORDER BY e.seq DESC LIMIT 1"
        )
        written_by = await world.consumer_pool.fetchval(
            "SELECT xmin::text FROM checkpoints WHERE name = $1", offset
        )
        assert written_by == last_effect
