"""Given two processes' Leaderships on one name, the second stands by while the first leads; when the leader
loses its database session for good, the standby takes over and the old leader stops its work."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import asyncpg

from services.leadership import Leadership


class Link:
    """A process's way to the database, that the test can cut (a network partition, a dead host)."""

    def __init__(self, application_name: str) -> None:
        self.application_name = application_name
        self.cut = False

    async def connect(self, dsn: str) -> asyncpg.Connection:
        if self.cut:
            raise OSError("no route to host")
        return await asyncpg.connect(dsn, server_settings={"application_name": self.application_name})


async def test_the_standby_takes_over_when_the_leader_session_dies(database_url: str) -> None:
    name, tag = f"test-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex[:8]
    running: set[str] = set()

    def work_of(who: str) -> Callable[[asyncio.Event], Awaitable[None]]:
        async def work(term_stop: asyncio.Event) -> None:
            running.add(who)
            try:
                await term_stop.wait()
            finally:
                running.discard(who)

        return work

    link_a, link_b = Link(f"a-{tag}"), Link(f"b-{tag}")
    a = Leadership(database_url, name, retry_interval=0.1, check_interval=0.1, connect=link_a.connect)
    b = Leadership(database_url, name, retry_interval=0.1, check_interval=0.1, connect=link_b.connect)
    stop = asyncio.Event()
    tasks = [asyncio.ensure_future(a.run(work_of("a"), stop))]
    await asyncio.wait_for(a.leading.wait(), 10)
    tasks.append(asyncio.ensure_future(b.run(work_of("b"), stop)))
    try:
        admin = await asyncpg.connect(database_url)
        try:
            # b tries the lock and is refused at least once while a holds it.
            await _until(lambda: _attempts(admin, f"b-{tag}"))
            assert not b.leading.is_set()
            assert running == {"a"}
            link_a.cut = True
            await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
                f"a-{tag}",
            )
        finally:
            await admin.close()
        await asyncio.wait_for(b.leading.wait(), 10)
        # a stops its work once its next check finds the session gone (within about two check intervals).
        await _until(lambda: _only(running, "b"))
        assert (a.terms, b.terms) == (1, 1)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
    assert running == set()


async def _only(running: set[str], who: str) -> bool:
    return running == {who}


async def _attempts(admin: asyncpg.Connection, application_name: str) -> bool:
    seen = await admin.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", application_name
    )
    return bool(seen)


async def _until(check: Callable[[], Awaitable[bool]]) -> None:
    for _ in range(200):
        if await check():
            return
        await asyncio.sleep(0.05)  # polling the server's view; nothing to await on
    raise AssertionError("never seen")
