"""The generic command loop on a real PostgreSQL, with a toy counter decider."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import asyncpg
import pytest
from pydantic import BaseModel

from services.command_loop import Decided, handle
from services.db import create_pool
from services.decider import Decider, EventCodec
from services.envelope import Envelope
from services.eventstore import ConcurrencyConflict, EventStore


class Incremented(BaseModel):
    by: int


@dataclass(frozen=True)
class Increment:
    by: int


class TooBig(Exception):
    pass


def decide(command: Increment, total: int) -> list[Incremented]:
    if total + command.by > 10:
        raise TooBig(f"{total} + {command.by} > 10")
    return [Incremented(by=command.by)] if command.by else []


counter: Decider[Increment, Incremented, int] = Decider(decide, lambda total, e: total + e.by, 0)
codec: EventCodec[Incremented] = EventCodec({"Incremented": Incremented})


def to_public(decided: Sequence[Decided[Incremented]]) -> list[Envelope]:
    return [d.public("demo.CounterMoved", {"by": d.event.by}) for d in decided]


@pytest.fixture(scope="module")
async def pool(dsn_schema: tuple[str, str]) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(*dsn_schema, max_size=8)
    try:
        yield pool
    finally:
        await pool.close()


def stream() -> str:
    return f"counter-{secrets.token_hex(6)}"


async def test_a_command_appends_its_events_and_public_envelopes_together(pool: asyncpg.Pool) -> None:
    store, sid = EventStore(pool), stream()
    meta = {"correlation_id": "0196e6b2-6c7a-7000-8000-000000000001", "traceparent": "00-abc-def-01"}
    first = await handle(
        store, counter, codec, sid, Increment(3), tenant="smartfr", metadata=meta, to_public=to_public
    )
    second = await handle(store, counter, codec, sid, Increment(4), tenant="smartfr", to_public=to_public)
    assert (first.version, first.state, second.version, second.state) == (1, 3, 2, 7)
    assert second.events == [Incremented(by=4)]

    [envelope] = first.public
    assert (envelope.event_type, envelope.stream_id, envelope.stream_version, envelope.data) == (
        "demo.CounterMoved",
        sid,
        1,
        {"by": 3},
    )
    assert str(envelope.correlation_id) == meta["correlation_id"]
    assert envelope.traceparent == "00-abc-def-01"
    stored = await store.read_stream(sid)
    assert stored[0].metadata["correlation_id"] == meta["correlation_id"]
    keys = await pool.fetch("SELECT message_key FROM outbox WHERE message_key = $1", sid)
    assert len(keys) == 2


async def test_a_refused_command_or_one_that_changes_nothing_writes_nothing(pool: asyncpg.Pool) -> None:
    store, sid = EventStore(pool), stream()
    await handle(store, counter, codec, sid, Increment(9), tenant="smartfr")
    with pytest.raises(TooBig):
        await handle(store, counter, codec, sid, Increment(2), tenant="smartfr")
    unchanged = await handle(store, counter, codec, sid, Increment(0), tenant="smartfr")
    assert (unchanged.events, unchanged.version, unchanged.appended) == ([], 1, None)
    assert await store.stream_version(sid) == 1


async def test_racing_commands_conflict_unless_retried(pool: asyncpg.Pool) -> None:
    store, sid = EventStore(pool), stream()
    outcomes = await asyncio.gather(
        *(handle(store, counter, codec, sid, Increment(1), tenant="smartfr") for _ in range(5)),
        return_exceptions=True,
    )
    assert any(isinstance(o, ConcurrencyConflict) for o in outcomes), "five at once: some must conflict"
    won = sum(1 for o in outcomes if not isinstance(o, BaseException))
    assert await store.stream_version(sid) == won

    sid = stream()
    await asyncio.gather(
        *(
            handle(store, counter, codec, sid, Increment(1), tenant="smartfr", retries_on_conflict=10)
            for _ in range(5)
        )
    )
    assert [e.stream_version for e in await store.read_stream(sid)] == [1, 2, 3, 4, 5]


async def test_a_new_stream_is_appended_without_a_read_and_an_existing_one_conflicts(
    pool: asyncpg.Pool,
) -> None:
    store, sid = EventStore(pool), stream()
    # Given an id just minted, when a command is handled on it as a new stream
    new = await handle(store, counter, codec, sid, Increment(9), tenant="smartfr", new_stream=True)
    # Then its events open the stream
    assert (new.version, new.state, [e.stream_version for e in await store.read_stream(sid)]) == (1, 9, [1])
    # And when the stream exists after all, nothing is decided on a wrong state: the append conflicts
    async with pool.acquire() as conn, conn.transaction():
        with pytest.raises(ConcurrencyConflict):
            await handle(
                store, counter, codec, sid, Increment(1), tenant="smartfr", new_stream=True, conn=conn
            )
    assert [e.stream_version for e in await store.read_stream(sid)] == [1]


async def test_a_state_the_caller_read_is_decided_on_and_a_stale_one_conflicts_then_is_read(
    pool: asyncpg.Pool,
) -> None:
    store, sid = EventStore(pool), stream()
    first = await handle(store, counter, codec, sid, Increment(2), tenant="smartfr")
    # Given the stream as the caller has just read it, when a command is handled on that state
    read = (first.version, first.state)
    second = await handle(store, counter, codec, sid, Increment(3), tenant="smartfr", read=read)
    # Then it is decided on it and appended after it
    assert (second.version, second.state) == (2, 5)
    # And given that read once it is stale, the append conflicts without a retry
    with pytest.raises(ConcurrencyConflict):
        await handle(store, counter, codec, sid, Increment(4), tenant="smartfr", read=read)
    # And with one, the retry reads the stream and decides on what it holds (5 + 4 = 9, not 2 + 4)
    third = await handle(
        store, counter, codec, sid, Increment(4), tenant="smartfr", read=read, retries_on_conflict=1
    )
    assert (third.version, third.state) == (3, 9)
    assert [e.stream_version for e in await store.read_stream(sid)] == [1, 2, 3]
