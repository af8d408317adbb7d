"""A consumer's database restored from a backup is fed again what it consumed after the backup (Kafka).

The group's offsets on the broker are past those messages: resuming there would lose their effects for good.
The runner records each partition's next offset with the service's own checkpoints after the effects, and a
subscription starts there; the inbox absorbs what is read twice.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "procs"))

from bus_support import bootstrap, bus_world, dsn, effect_recorder, publish, wait_until

from services.consumer import ConsumerRunner

__all__ = ["bootstrap", "dsn"]


@pytest.mark.kafka
async def test_a_consumer_restored_from_a_backup_is_fed_again_what_it_had_consumed_since(
    dsn: str, bootstrap: str
) -> None:
    async with bus_world("kafka", dsn, bootstrap) as world:
        group = world.group("restored")
        pool = world.consumer_pool

        async def effects_are(n: int) -> bool:
            return await world.effect_count() == n

        first_stop = asyncio.Event()
        runner = ConsumerRunner(pool, world.transport, group, [world.topic], effect_recorder(group))
        running = world.background(runner.run(first_stop))
        for n in range(10):
            await publish(world.store, world.producer, f"s-{n}", 1)
        await wait_until(lambda: effects_are(10), 60, "10 effects")

        # The backup: what the consumer's tables hold now.
        backed_up_seq = await pool.fetchval("SELECT max(seq) FROM effects")
        backed_up_inbox = [r["event_id"] for r in await pool.fetch("SELECT event_id FROM inbox")]
        backed_up_checkpoints = await pool.fetch("SELECT name, tx_id::text, position FROM checkpoints")
        assert backed_up_checkpoints, "the runner records where it got to with its effects"

        for n in range(10, 20):
            await publish(world.store, world.producer, f"s-{n}", 1)
        await wait_until(lambda: effects_are(20), 60, "20 effects")
        first_stop.set()
        await running

        # The restore: the tables as they were at the backup (the broker still has the group past them all).
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("DELETE FROM effects WHERE seq > $1", backed_up_seq)
            await conn.execute("DELETE FROM inbox WHERE NOT (event_id = ANY($1))", backed_up_inbox)
            await conn.execute("DELETE FROM checkpoints")
            await conn.executemany(
                "INSERT INTO checkpoints (name, tx_id, position) VALUES ($1, $2::text::xid8, $3)",
                [tuple(r) for r in backed_up_checkpoints],
            )
        assert await world.effect_count() == 10

        restarted = ConsumerRunner(pool, world.transport, group, [world.topic], effect_recorder(group))
        world.background(restarted.run(world.stop))
        await wait_until(lambda: effects_are(20), 60, "the 10 effects the restore took away, done again")
        assert restarted.processed == 10
        distinct = await pool.fetchval("SELECT count(DISTINCT event_id) FROM effects")
        assert distinct == 20
