"""Readers woken after a commit: one NOTIFY statement wakes every channel of the schema, and a burst of
commits, folded into the NOTIFY in flight and one more, still wakes its reader."""

from __future__ import annotations

import asyncio

import asyncpg

from services.bus.wakeup import PgNotifier, PgWakeup, events_channel, outbox_channel

SCHEMA = "wakeup_test"
NEVER = 60.0  # a reader's poll interval no test waits for: only a NOTIFY wakes it in time


async def test_a_commit_wakes_the_outbox_and_the_events_readers_of_its_schema(database_url: str) -> None:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    relay = PgWakeup(pool, [outbox_channel(SCHEMA)], poll_interval=NEVER)
    projection = PgWakeup(pool, [events_channel(SCHEMA)], poll_interval=NEVER)
    notifier = PgNotifier(pool)
    try:
        for reader in (relay, projection):
            await reader.start()
            await reader.wait()  # the wake-up a reader gives itself when it starts listening
        waiting = [asyncio.ensure_future(reader.wait()) for reader in (relay, projection)]
        notifier.hook(SCHEMA)()
        async with asyncio.timeout(10):
            await asyncio.gather(*waiting)
    finally:
        await notifier.drain()
        for reader in (relay, projection):
            await reader.close()
        await pool.close()


async def test_a_burst_of_commits_wakes_the_reader(database_url: str) -> None:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    reader = PgWakeup(pool, [outbox_channel(SCHEMA)], poll_interval=NEVER)
    notifier = PgNotifier(pool)
    try:
        await reader.start()
        await reader.wait()
        for _ in range(50):  # folded: one in flight, one more after it
            notifier.notify_schema(SCHEMA)
        await notifier.drain()
        async with asyncio.timeout(10):
            await reader.wait()
    finally:
        await reader.close()
        await pool.close()
