"""The read cache through the whole embedded back-office (real PostgreSQL, the services' real apps, the bus).

Whether a read reached members-svc is read from members-svc's own request counter (its chassis middleware
counts every request it answers), not from the cache.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from prometheus_client import REGISTRY

from backoffice.embedded import EmbeddedBackoffice
from gateway.auth.api_keys import create_client
from gateway.clock import clock_of
from gateway.read_cache.bus import CONSUMER, invalidation_of
from gateway.read_cache.store import ReadCache, id_token
from gateway.upstream import Answer, Params, ServiceClient, Upstream
from services.envelope import Envelope
from services.internal_token import Caller

API_VERSION = "2026-11-26"
APPLICATION = {"person_kind": "natural_person", "display_name": "Camille Martin", "category": 1}
TTL = 60.0  # long: a stale entry the invalidation missed would outlive every test's deadline
WITHIN = 10.0


@asynccontextmanager
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    name = f"gw_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


@pytest_asyncio.fixture(scope="module")
async def backoffice(database_url: str) -> AsyncIterator[EmbeddedBackoffice]:
    async with fresh_database(database_url) as url:
        running = EmbeddedBackoffice(
            url, poll_interval=0.2, read_cache_ttl_seconds=TTL, rate_limit_quota=1_000_000
        )
        await running.start()
        try:
            yield running
        finally:
            await running.stop()


@pytest_asyncio.fixture
async def gateway(backoffice: EmbeddedBackoffice) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=backoffice.gateway.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


def cache_of(backoffice: EmbeddedBackoffice) -> ReadCache:
    cache: ReadCache = backoffice.gateway.app.state.read_cache
    return cache


def members_upstream(backoffice: EmbeddedBackoffice) -> Upstream:
    upstream: Upstream = backoffice.gateway.app.state.service.members
    return upstream


async def api_key(backoffice: EmbeddedBackoffice, tenant: str, *scopes: str) -> str:
    async with backoffice.gateway.pool.acquire() as conn:
        new = await create_client(
            conn, tenant=tenant, name="test", scopes=list(scopes), api_version=API_VERSION
        )
    return new.api_key


def auth(key: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **more}


def served_by_members(route: str) -> float:
    """GETs of `route` that members-svc answered 200, as its own request-duration histogram counts them."""
    wanted = {"members", "GET", route, "200"}
    return sum(
        sample.value
        for metric in REGISTRY.collect()
        for sample in metric.samples
        if sample.name == "http_server_request_duration_seconds_count"
        and wanted <= set(sample.labels.values())
    )


def reads_served_by_members() -> float:
    return served_by_members("/internal/members/{member_id}")


async def until(probe: Any, within: float = WITHIN) -> Any:
    """Polls `probe()` (a read through the gateway) until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = await probe()
        if found:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("not seen in time")
        await asyncio.sleep(0.05)  # polling a projection that catches up on its own


async def bus_caught_up(backoffice: EmbeddedBackoffice) -> None:
    """Until the read cache's consumer has handled every public event the services have written so far."""
    runner = next(r for r in backoffice.gateway.consumer_runners if r.name == CONSUMER)
    written = 0
    for name in ("members", "contracts", "billing", "payroll"):
        count = await backoffice.services[name].pool.fetchval("SELECT count(*) FROM outbox")
        written += int(count)

    async def handled() -> bool:
        return runner.processed + runner.skipped >= written

    await until(handled)


async def a_member(gateway: httpx.AsyncClient, key: str) -> str:
    applied = await gateway.post(
        "/v1/members", json=APPLICATION, headers=auth(key, **{"Idempotency-Key": str(uuid.uuid4())})
    )
    assert applied.status_code == 201, applied.text
    member_id = str(applied.json()["id"])

    async def readable() -> bool:
        return (await gateway.get(f"/v1/members/{member_id}", headers=auth(key))).status_code == 200

    before = reads_served_by_members()
    await until(readable)
    assert reads_served_by_members() > before  # the counter the tests read does count the service's reads
    return member_id


async def test_a_repeated_read_is_answered_without_the_service(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    key = await api_key(backoffice, "smartfr", "members:read", "members:write")
    member_id = await a_member(gateway, key)
    first = await gateway.get(f"/v1/members/{member_id}", headers=auth(key))
    served = reads_served_by_members()

    again = [await gateway.get(f"/v1/members/{member_id}", headers=auth(key)) for _ in range(3)]

    assert reads_served_by_members() == served
    for answer in again:
        assert answer.status_code == 200
        assert answer.content == first.content
        assert answer.headers["etag"] == first.headers["etag"]
        assert answer.headers["content-type"] == "application/json"
        assert answer.headers["api-version"] == API_VERSION
        assert "ratelimit" in answer.headers
    # each answer has its own request id: only the service's answer is cached, not the gateway's headers
    assert len({a.headers["request-id"] for a in [first, *again]}) == 4

    not_modified = await gateway.get(
        f"/v1/members/{member_id}", headers=auth(key, **{"If-None-Match": first.headers["etag"]})
    )
    assert not_modified.status_code == 304
    assert not_modified.headers["etag"] == first.headers["etag"]
    assert not_modified.content == b""
    assert reads_served_by_members() == served


async def test_routes_that_do_not_opt_in_are_not_cached(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    key = await api_key(backoffice, "smartfr", "members:read", "members:write")
    await a_member(gateway, key)
    before = served_by_members("/internal/members")

    for _ in range(3):
        assert (await gateway.get("/v1/members", headers=auth(key))).status_code == 200

    assert served_by_members("/internal/members") == before + 3


async def test_a_write_through_the_gateway_drops_the_entry_before_its_answer(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    key = await api_key(backoffice, "smartfr", "members:read", "members:write")
    member_id = await a_member(gateway, key)
    path = f"/v1/members/{member_id}"
    cached = await gateway.get(path, headers=auth(key))
    assert (await gateway.get(path, headers=auth(key))).content == cached.content
    served = reads_served_by_members()

    changed = await gateway.patch(
        path,
        json={"display_name": "Camille Durand"},
        headers=auth(key, **{"If-Match": cached.headers["etag"]}),
    )
    assert changed.status_code == 200, changed.text

    # the next read is not the cached entry: it reaches the service
    after = await gateway.get(path, headers=auth(key))
    assert reads_served_by_members() == served + 1
    assert after.status_code == 200

    # once the register shows the change, that is what is cached (and never the older version again)
    async def renamed() -> httpx.Response | None:
        answer = await gateway.get(path, headers=auth(key))
        return answer if answer.json()["display_name"] == "Camille Durand" else None

    fresh = await until(renamed)
    assert fresh.headers["etag"] == changed.headers["etag"]
    served = reads_served_by_members()
    assert (await gateway.get(path, headers=auth(key))).content == fresh.content
    assert reads_served_by_members() == served


async def test_a_change_behind_the_gateways_back_is_seen_once_its_event_arrives(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    key = await api_key(backoffice, "smartfr", "members:read", "members:write")
    member_id = await a_member(gateway, key)
    path = f"/v1/members/{member_id}"
    for step, body in (
        ("share_subscriptions", {"share_count": 4, "subscribed_on": "2026-11-26"}),
        ("share_payments", {"amount_cents": 12_000, "paid_on": "2026-11-27"}),
    ):
        done = await gateway.post(
            f"{path}/{step}", json=body, headers=auth(key, **{"Idempotency-Key": str(uuid.uuid4())})
        )
        assert done.status_code == 201, done.text
    # The shares' own events floor the member's id with their stream's version (a floor from another stream
    # of the same id refuses to store for a while, ADR 007): let them arrive, and their floors expire.
    await bus_caught_up(backoffice)
    clock_of(backoffice.gateway.app).advance(timedelta(seconds=TTL))
    cached = await gateway.get(path, headers=auth(key))
    assert cached.json()["status"] == "applied"
    served = reads_served_by_members()
    assert (await gateway.get(path, headers=auth(key))).content == cached.content
    assert reads_served_by_members() == served
    cache = cache_of(backoffice)
    epoch = cache.epoch

    # when members-svc admits the member on a call that does not cross the gateway's public API
    caller = Caller(tenant="smartfr", client_id="back-office-staff", scopes=frozenset({"members:write"}))
    admitted = await members_upstream(backoffice).call(
        "POST",
        f"/internal/members/{member_id}/admission",
        caller,
        json={"decided_by": "board", "admitted_on": "2026-12-03"},
    )
    assert admitted.status == 200, admitted.body

    # then its public event reaches the gateway over the bus and drops the entry
    await asyncio.wait_for(cache.until_marked(id_token(member_id), after_epoch=epoch), WITHIN)

    async def admitted_seen() -> bool:
        status: str = (await gateway.get(path, headers=auth(key))).json()["status"]
        return status == "admitted"

    await until(admitted_seen)
    assert reads_served_by_members() > served


async def test_another_tenant_never_gets_a_cached_entry(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    key_a = await api_key(backoffice, "smartfr", "members:read", "members:write")
    key_b = await api_key(backoffice, "coop-portage", "members:read")
    member_id = await a_member(gateway, key_a)
    path = f"/v1/members/{member_id}"
    assert (await gateway.get(path, headers=auth(key_a))).status_code == 200
    served = reads_served_by_members()

    answer = await gateway.get(path, headers=auth(key_b))

    assert answer.status_code == 404, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert member_id not in answer.text.replace(f"no member {member_id}", "")
    assert reads_served_by_members() == served  # the service's 404 is not a 200


async def test_a_missing_scope_is_still_refused_on_a_cached_path(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    key = await api_key(backoffice, "smartfr", "members:read", "members:write")
    writer_only = await api_key(backoffice, "smartfr", "members:write")
    member_id = await a_member(gateway, key)
    path = f"/v1/members/{member_id}"
    assert (await gateway.get(path, headers=auth(key))).status_code == 200

    refused = await gateway.get(path, headers=auth(writer_only))

    assert refused.status_code == 403
    assert refused.json()["code"] == "insufficient_scope"


async def test_an_entry_lives_no_longer_than_its_ttl(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    key = await api_key(backoffice, "smartfr", "members:read", "members:write")
    member_id = await a_member(gateway, key)
    path = f"/v1/members/{member_id}"
    await gateway.get(path, headers=auth(key))
    served = reads_served_by_members()
    await gateway.get(path, headers=auth(key))
    assert reads_served_by_members() == served

    clock_of(backoffice.gateway.app).advance(timedelta(seconds=TTL))
    await gateway.get(path, headers=auth(key))

    assert reads_served_by_members() == served + 1


def an_event_about(member_id: str) -> Envelope:
    return Envelope(
        event_id=uuid.uuid4(),
        event_type="members.MemberAdmitted",
        schema_version=1,
        stream_id=f"member-{member_id}",
        stream_version=1,
        occurred_at=datetime.now(UTC),
        tenant="smartfr",
        correlation_id=uuid.uuid4(),
        data={"member_id": member_id, "decided_by": "board", "admitted_on": "2026-12-03"},
    )


class HeldReads:
    """The members client, with the answer to one GET path held until released: a read in flight."""

    def __init__(self, inner: ServiceClient, path: str) -> None:
        self.inner = inner
        self.path = path
        self.answered = asyncio.Event()
        self.release = asyncio.Event()

    async def request(
        self, method: str, path: str, *, headers: dict[str, str], body: bytes | None, params: Params | None
    ) -> Answer:
        answer = await self.inner.request(method, path, headers=headers, body=body, params=params)
        if method == "GET" and path == self.path and not self.answered.is_set():
            self.answered.set()
            await self.release.wait()
        return answer

    async def close(self) -> None:
        await self.inner.close()


@pytest.mark.parametrize("change", ["write through the gateway", "event on the bus"])
async def test_a_read_that_started_before_an_invalidation_does_not_store_its_answer(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient, change: str
) -> None:
    key = await api_key(backoffice, "smartfr", "members:read", "members:write")
    member_id = await a_member(gateway, key)
    path = f"/v1/members/{member_id}"
    cache = cache_of(backoffice)
    cache.invalidate([id_token(member_id)])  # nothing cached for it: the next read goes to the service
    upstream = members_upstream(backoffice)
    held = HeldReads(upstream.client, f"/internal/members/{member_id}")
    upstream.client = held
    try:
        # given a read that has its (old) answer from the service but has not finished
        reading = asyncio.create_task(gateway.get(path, headers=auth(key)))
        await asyncio.wait_for(held.answered.wait(), WITHIN)
        old = held  # the held answer predates what follows

        # when the member changes meanwhile
        if change == "write through the gateway":
            changed = await gateway.patch(path, json={"category": 2}, headers=auth(key))
            assert changed.status_code == 200, changed.text
        else:
            invalidation_of(cache, an_event_about(member_id))  # what the bus consumer runs for each event
        old.release.set()
        assert (await reading).status_code == 200
    finally:
        upstream.client = held.inner

    # then the read's older answer was not kept: the next read reaches the service
    served = reads_served_by_members()
    await gateway.get(path, headers=auth(key))
    assert reads_served_by_members() == served + 1
