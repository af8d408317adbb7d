"""Readers woken after a commit: this process's readers at once, without a round trip; other processes' by one
NOTIFY statement for every channel of the schema, a burst of commits folded into the NOTIFY in flight and one
more."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from services.bus.wakeup import PgNotifier, PgWakeup, Process, events_channel, outbox_channel

SCHEMA = "wakeup_test"
NEVER = 60.0  # a reader's poll interval no test waits for: only a wake-up wakes it in time


async def test_a_commit_in_another_process_wakes_the_outbox_and_the_events_readers_of_its_schema(
    database_url: str,
) -> None:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    here = Process()
    relay = PgWakeup(pool, [outbox_channel(SCHEMA)], poll_interval=NEVER, process=here)
    projection = PgWakeup(pool, [events_channel(SCHEMA)], poll_interval=NEVER, process=here)
    elsewhere = PgNotifier(pool, process=Process())
    try:
        for reader in (relay, projection):
            await reader.start()
            await reader.wait()  # the wake-up a reader gives itself when it starts listening
        waiting = [asyncio.ensure_future(reader.wait()) for reader in (relay, projection)]
        elsewhere.hook(SCHEMA)()
        async with asyncio.timeout(10):
            await asyncio.gather(*waiting)
    finally:
        await elsewhere.drain()
        for reader in (relay, projection):
            await reader.close()
        await pool.close()


async def test_a_commit_wakes_the_readers_of_its_own_process_without_a_notify(database_url: str) -> None:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    here = Process()
    reader = PgWakeup(pool, [outbox_channel(SCHEMA)], poll_interval=NEVER, process=here)
    closed = await asyncpg.create_pool(database_url, min_size=0, max_size=1)
    await closed.close()
    notifier = PgNotifier(closed, process=here)  # its NOTIFY cannot be sent
    try:
        await reader.start()
        await reader.wait()
        waiting = asyncio.ensure_future(reader.wait())
        notifier.hook(SCHEMA)()
        async with asyncio.timeout(10):
            await waiting
    finally:
        await notifier.drain()
        await reader.close()
        await pool.close()


async def test_a_burst_of_commits_in_another_process_wakes_the_reader_with_at_most_two_notifies(
    database_url: str,
) -> None:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    reader = PgWakeup(pool, [outbox_channel(SCHEMA)], poll_interval=NEVER, process=Process())
    notifier = PgNotifier(pool, process=Process())
    heard: list[str] = []
    listener = await asyncpg.connect(database_url)
    await listener.add_listener(outbox_channel(SCHEMA), lambda *args: heard.append(args[2]))
    try:
        await reader.start()
        await reader.wait()
        for _ in range(50):  # folded: one in flight, one more after it
            notifier.notify_schema(SCHEMA)
        await notifier.drain()
        async with asyncio.timeout(10):
            await reader.wait()
        await listener.fetchval("SELECT 1")  # the NOTIFYs committed before it are delivered by its end
        assert 1 <= len(heard) <= 2
    finally:
        await listener.close()
        await reader.close()
        await pool.close()


class _Unreachable:
    async def acquire(self) -> None:
        raise OSError("no database here")


def test_a_reader_left_waiting_in_a_closed_event_loop_does_not_break_a_commit_in_another() -> None:
    here = Process()
    unreachable: Any = _Unreachable()
    reader = PgWakeup(unreachable, [outbox_channel(SCHEMA)], poll_interval=NEVER, process=here)
    # Given a reader waiting in an event loop closed under it (as a finished test's loop)
    finished = asyncio.new_event_loop()
    waiting = finished.create_task(reader.wait())
    for _ in range(5):  # a few turns of the loop: it tries to listen, fails, and waits
        finished.run_until_complete(asyncio.sleep(0))
    assert not waiting.done()
    finished.close()
    # When a commit in this process wakes the channel's readers, then it does not raise
    here.wake([outbox_channel(SCHEMA)])
    # And the reader is not woken again
    here.wake([outbox_channel(SCHEMA)])
