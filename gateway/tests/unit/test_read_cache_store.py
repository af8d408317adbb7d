"""The read cache's rules, on the store itself: keys, invalidation by path and by id, the race guard, floors,
the bound and the TTL; and what an event from the bus invalidates."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from gateway.read_cache.bus import TOPICS, invalidation_consumer, invalidation_of
from gateway.read_cache.store import Entry, Key, ReadCache, id_token, tokens_of, written_tokens
from services.envelope import Envelope

MEMBER = "0b9f4c8e-6a2d-4f7e-9c1a-3d5e7f9a1b2c"
OTHER = "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"


class Now:
    def __init__(self) -> None:
        self.at = 1_000.0

    def __call__(self) -> float:
        return self.at


def key(path: str, tenant: str = "smartfr") -> Key:
    return (tenant, path, b"", "2026-11-26")


def entry(cache: ReadCache, path: str, etag: bytes = b'"1"') -> Entry:
    return Entry(
        status=200,
        headers=((b"content-type", b"application/json"), (b"etag", etag)),
        body=b"{}",
        etag=etag,
        scopes=frozenset({"members:read"}),
        tokens=tokens_of(path),
        expires_at=cache.now() + cache.ttl_seconds,
    )


def stored(cache: ReadCache, path: str, etag: bytes = b'"1"', *, epoch: int | None = None) -> bool:
    started = cache.epoch if epoch is None else epoch
    return cache.store(key(path), entry(cache, path, etag), started_at_epoch=started, started_at=cache.now())


@pytest.fixture
def now() -> Now:
    return Now()


@pytest.fixture
def cache(now: Now) -> ReadCache:
    made = ReadCache(max_entries=3, ttl_seconds=10, now=now)
    made.listening = True
    return made


def test_a_write_drops_its_path_its_parents_and_whatever_names_its_ids(cache: ReadCache) -> None:
    member = f"/v1/members/{MEMBER}"
    assert stored(cache, member)
    assert stored(cache, f"{member}/shares")
    assert stored(cache, f"/v1/members/{OTHER}")

    cache.invalidate(written_tokens(f"{member}/admission"))

    assert cache.get(key(member)) is None
    assert cache.get(key(f"{member}/shares")) is None  # a sibling, through the id
    assert cache.get(key(f"/v1/members/{OTHER}")) is not None


def test_written_tokens_stop_at_the_collection() -> None:
    assert written_tokens(f"/v1/members/{MEMBER.upper()}/admission") == [
        f"p:/v1/members/{MEMBER}/admission",
        f"p:/v1/members/{MEMBER}",
        "p:/v1/members",
        f"i:{MEMBER}",
    ]


def test_a_read_that_started_before_an_invalidation_is_not_stored(cache: ReadCache) -> None:
    path = f"/v1/members/{MEMBER}"
    started = cache.epoch
    cache.invalidate([id_token(MEMBER)])

    assert not stored(cache, path, epoch=started)
    assert cache.get(key(path)) is None
    assert stored(cache, path)  # a read started after it is


def test_an_invalidation_of_something_else_does_not_refuse_the_read(cache: ReadCache) -> None:
    started = cache.epoch
    cache.invalidate([id_token(OTHER)])

    assert stored(cache, f"/v1/members/{MEMBER}", epoch=started)


def test_an_answer_older_than_a_known_version_is_not_stored_until_the_floor_expires(
    cache: ReadCache, now: Now
) -> None:
    path = f"/v1/members/{MEMBER}"
    cache.invalidate([id_token(MEMBER)], floors=[(id_token(MEMBER), 3)])

    assert not stored(cache, path, b'"2"')  # a projection that has not caught up yet
    assert stored(cache, path, b'"3"')
    now.at += 10
    assert stored(cache, path, b'"2"')


def test_entries_expire_after_the_ttl(cache: ReadCache, now: Now) -> None:
    path = f"/v1/members/{MEMBER}"
    assert stored(cache, path)
    now.at += 9.9
    assert cache.get(key(path)) is not None
    now.at += 0.1
    assert cache.get(key(path)) is None
    assert len(cache) == 0


def test_the_least_recently_read_entry_goes_first(cache: ReadCache) -> None:
    paths = [f"/v1/members/{uuid.uuid4()}" for _ in range(4)]
    for path in paths[:3]:
        assert stored(cache, path)
    assert cache.get(key(paths[0])) is not None  # read again: now the most recent

    assert stored(cache, paths[3])

    assert len(cache) == 3
    assert cache.get(key(paths[1])) is None
    assert all(cache.get(key(p)) is not None for p in (paths[0], paths[2], paths[3]))


def test_keys_are_per_tenant(cache: ReadCache) -> None:
    path = f"/v1/members/{MEMBER}"
    assert stored(cache, path)
    assert cache.get(key(path, tenant="coop-portage")) is None


def event(stream_id: str, version: int, data: dict[str, object]) -> Envelope:
    return Envelope(
        event_id=uuid.uuid4(),
        event_type="members.Something",
        schema_version=1,
        stream_id=stream_id,
        stream_version=version,
        occurred_at=datetime.now(UTC),
        tenant="smartfr",
        correlation_id=uuid.uuid4(),
        data=data,
    )


def test_an_event_drops_every_id_it_names_and_floors_its_own_stream(cache: ReadCache) -> None:
    member, other = f"/v1/members/{MEMBER}", f"/v1/members/{OTHER}"
    assert stored(cache, member)
    assert stored(cache, other)

    invalidation_of(cache, event(f"member-{MEMBER}", 4, {"nested": [{"member_id": OTHER}]}))

    assert cache.get(key(member)) is None
    assert cache.get(key(other)) is None
    assert not stored(cache, member, b'"3"')
    assert stored(cache, member, b'"4"')
    assert stored(cache, other, b'"1"')  # named, but not its stream: no floor


def test_the_consumer_reads_the_public_topics_of_every_service_behind_the_gateway() -> None:
    assert TOPICS == ("billing.events", "contracts.events", "members.events", "payroll.events")


def test_the_cache_is_off_in_a_process_that_does_not_consume_the_bus() -> None:
    cache = ReadCache()
    assert not cache.enabled  # an API-only replica: nobody would invalidate its entries
    invalidation_consumer(cache)
    assert cache.enabled
    cache.configure(enabled=False, max_entries=10, ttl_seconds=10)
    assert not cache.enabled
