"""One holder at a time across processes: a PostgreSQL session advisory lock on a connection of its own.

Several replicas of a service may run its background work; the parts that must run once per service (the
outbox relay: a second one only publishes everything twice) run under a `Leadership`. The lock lives as long
as the holder's connection, so a holder that dies (SIGKILL, network loss) frees it at once and a standby
takes over within `retry_interval`. A leader cut off from the database notices at its next check and stops
its work, so for up to about two `check_interval`s both may run: the work must tolerate that (the relay does:
it publishes at least once and consumers deduplicate). The connection is outside the pool: a pooled
connection is reused without a reset, and must never carry a session lock to someone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable

import asyncpg

log = logging.getLogger(__name__)

Work = Callable[[asyncio.Event], Awaitable[None]]


def lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"leader:{name}".encode()).digest()[:8], "big", signed=True)


class Leadership:
    def __init__(
        self,
        dsn: str,
        name: str,
        *,
        retry_interval: float = 2.0,
        check_interval: float = 2.0,
        connect: Callable[[str], Awaitable[asyncpg.Connection]] = asyncpg.connect,
    ) -> None:
        self.name = name
        self._dsn = dsn
        self._key = lock_key(name)
        self._retry_interval = retry_interval
        self._check_interval = check_interval
        self._connect = connect
        self.leading = asyncio.Event()  # set while this process holds the lock and runs the work
        self.terms = 0  # how many times it became the leader

    async def run(self, work: Work, stop: asyncio.Event) -> None:
        """Run `work(term_stop)` whenever this process holds the lock, until `stop` is set."""
        while not stop.is_set():
            try:
                conn = await self._connect(self._dsn)
            except Exception as exc:
                log.warning("leadership %s: cannot connect: %r", self.name, exc)
                await _wait(stop, self._retry_interval)
                continue
            try:
                if await conn.fetchval("SELECT pg_try_advisory_lock($1)", self._key):
                    await self._lead(conn, work, stop)
                else:
                    await _wait(stop, self._retry_interval)
            except Exception as exc:
                log.warning("leadership %s: lost: %r", self.name, exc)
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.close(), 5)  # closing the session frees the lock

    async def _lead(self, conn: asyncpg.Connection, work: Work, stop: asyncio.Event) -> None:
        self.terms += 1
        self.leading.set()
        log.info("leadership %s: leading (term %d)", self.name, self.terms)
        term_stop = asyncio.Event()
        task = asyncio.ensure_future(work(term_stop))
        try:
            while not stop.is_set() and not task.done():
                await _wait(stop, self._check_interval)
                if not stop.is_set():
                    # The lock is only as good as the session: a dead connection means someone else may lead.
                    await asyncio.wait_for(conn.fetchval("SELECT 1"), self._check_interval)
        finally:
            self.leading.clear()
            term_stop.set()
            try:
                await asyncio.wait_for(asyncio.shield(task), 30)
            except Exception:
                log.exception("leadership %s: the work failed or did not stop; handing over", self.name)
            if not task.done():
                task.cancel()


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
