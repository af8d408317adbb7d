"""Idempotency-Key when the first attempt fails, hangs or dies: real PostgreSQL, a scripted route."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace

import asyncpg
import httpx
import pytest_asyncio
from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CollectorRegistry
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.auth.client import ApiClient
from gateway.clock import Clock
from gateway.config import Settings as GatewaySettings
from gateway.entrypoints.definition import MIGRATIONS
from gateway.idempotency import (
    SEALING_LABEL,
    Claimed,
    IdempotencyMiddleware,
    KeyStore,
    current_request_key,
    fingerprint,
)
from gateway.inbound.sealing import Sealer
from services.db import create_pool, folder_migrations, migrate
from services.http import add_inner_middleware, create_app
from services.request_keys import RequestKey
from services.testkit import fresh_schema

LEASE = timedelta(seconds=GatewaySettings().idempotency_lease_seconds)
SEALER = Sealer(GatewaySettings().secrets_encryption_key.get_secret_value(), label=SEALING_LABEL)

CLIENT = ApiClient("cli_script", "smartfr", frozenset({"things:write"}), "2026-11-26")


@dataclass
class Script:
    """What the scripted route answers, call after call; `gate` holds the first call until it opens."""

    statuses: list[int] = field(default_factory=list)
    calls: int = 0
    request_keys: list[RequestKey | None] = field(default_factory=list)  # what each call passes on
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    gate: asyncio.Event | None = None


class AsClient:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope.setdefault("state", {})["api_client"] = CLIENT
        await self.app(scope, receive, send)


def scripted_app(script: Script, clock: Clock, pool: asyncpg.Pool) -> FastAPI:
    router = APIRouter()

    @router.post("/v1/things")
    async def create_thing(request: Request) -> Response:
        script.calls += 1
        call = script.calls
        script.request_keys.append(current_request_key())
        script.entered.set()
        if script.gate is not None and script.calls == 1:
            await script.gate.wait()
        status = script.statuses.pop(0) if script.statuses else 201
        if status == 599:
            raise RuntimeError("the handler broke")
        headers = {"Location": f"/v1/things/{call}", "ETag": '"1"', "X-Other": "not kept"}
        body = b'{"call": %d, "echo": %s}' % (call, await request.body() or b"null")
        return Response(body, status_code=status, headers=headers, media_type="application/json")

    @router.post("/v1/oauth/token")
    @router.post("/v1/webhooks/{association}")
    async def deduplicated_elsewhere() -> dict[str, bool]:
        return {"ok": True}

    app = create_app(title="scripted", version="1", routers=[router], metrics_registry=CollectorRegistry())
    add_inner_middleware(app, AsClient)
    add_inner_middleware(app, IdempotencyMiddleware, clock=clock)
    app.state.resources = SimpleNamespace(pool=pool, settings=GatewaySettings())
    return app


@pytest_asyncio.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with fresh_schema(database_url, "idempotency") as schema:
        pool = await create_pool(database_url, schema)
        try:
            own = [m for m in folder_migrations("gateway", MIGRATIONS) if m.name.startswith("003_")]
            async with pool.acquire() as conn:
                await migrate(conn, schema, own)
            yield pool
        finally:
            await pool.close()


@dataclass
class Harness:
    script: Script
    clock: Clock
    pool: asyncpg.Pool
    http: httpx.AsyncClient


@pytest_asyncio.fixture
async def harness(pool: asyncpg.Pool) -> AsyncIterator[Harness]:
    script, clock = Script(), Clock()
    app = scripted_app(script, clock, pool)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        yield Harness(script, clock, pool, http)


async def post(
    harness: Harness, key: str | None, body: bytes = b'{"n": 1}', path: str = "/v1/things"
) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return await harness.http.post(path, content=body, headers=headers)


async def test_the_handler_gets_the_body_and_a_replay_keeps_only_the_headers_that_matter(
    harness: Harness,
) -> None:
    first = await post(harness, "k1", b'{"n": 42}')
    replay = await post(harness, "k1", b'{"n": 42}')

    assert first.json() == {"call": 1, "echo": {"n": 42}}
    assert replay.status_code == 201
    assert replay.content == first.content
    assert replay.headers["idempotent-replayed"] == "true"
    assert (replay.headers["location"], replay.headers["etag"]) == ("/v1/things/1", '"1"')
    assert "x-other" in first.headers
    assert "x-other" not in replay.headers
    assert harness.script.calls == 1


async def test_a_first_attempt_answering_a_5xx_leaves_the_key_free_for_a_retry(harness: Harness) -> None:
    harness.script.statuses = [503]

    failed = await post(harness, "k2")
    retried = await post(harness, "k2")
    replayed = await post(harness, "k2")

    assert failed.status_code == 503
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json()["call"] == 2
    assert harness.script.calls == 2


async def test_the_services_see_the_same_request_key_on_a_retry_and_another_for_another_key(
    harness: Harness,
) -> None:
    harness.script.statuses = [503]

    await post(harness, "k2a")
    harness.clock.advance(timedelta(seconds=30))
    await post(harness, "k2a")
    await post(harness, "k2b")

    first, retry, other = harness.script.request_keys
    assert first is not None
    assert other is not None
    assert retry == first  # the ids the retry mints are the ones the first minted
    assert other.digest != first.digest
    assert current_request_key() is None  # only while a claimed request runs


async def test_after_a_failed_attempt_the_key_still_belongs_to_its_request(harness: Harness) -> None:
    harness.script.statuses = [503]

    await post(harness, "k2c")
    another = await post(harness, "k2c", b'{"n": 2}')

    assert (another.status_code, another.json()["code"]) == (422, "idempotency_key_reused")
    assert harness.script.calls == 1


async def test_a_first_attempt_that_raises_leaves_the_key_free_for_a_retry(harness: Harness) -> None:
    harness.script.statuses = [599]

    failed = await post(harness, "k3")
    retried = await post(harness, "k3")

    assert failed.status_code == 500
    assert failed.json()["code"] == "internal_error"
    assert retried.status_code == 201
    assert harness.script.calls == 2


async def test_a_transient_refusal_is_not_remembered(harness: Harness) -> None:
    harness.script.statuses = [409]

    conflict = await post(harness, "k4")
    retried = await post(harness, "k4")

    assert conflict.status_code == 409
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers


async def test_while_the_first_runs_the_same_request_is_409_and_another_one_422(harness: Harness) -> None:
    harness.script.gate = asyncio.Event()
    first = asyncio.create_task(post(harness, "k5"))
    await asyncio.wait_for(harness.script.entered.wait(), timeout=5)

    same = await post(harness, "k5")
    other = await post(harness, "k5", b'{"n": 2}')
    harness.script.gate.set()
    done = await first
    after = await post(harness, "k5")

    assert same.status_code == 409
    assert same.json()["code"] == "idempotency_key_in_flight"
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert done.status_code == 201
    assert after.headers["idempotent-replayed"] == "true"
    assert harness.script.calls == 1


async def claim_left_by_a_dead_process(harness: Harness, key: str, body: bytes) -> Claimed:
    """What a gateway that died while the handler ran leaves behind: a claim, never completed."""
    store = KeyStore(harness.pool, SEALER)
    print_ = fingerprint("POST", "/v1/things", b"", body)
    claimed = await store.claim(
        CLIENT.client_id, key, print_, harness.clock.now(), ttl=timedelta(days=7), lease=LEASE
    )
    assert isinstance(claimed, Claimed)
    return claimed


async def test_a_claim_whose_process_died_is_taken_over_by_the_same_request_after_the_lease(
    harness: Harness,
) -> None:
    dead = await claim_left_by_a_dead_process(harness, "k6", b'{"n": 1}')

    blocked = await post(harness, "k6")
    harness.clock.advance(LEASE + timedelta(seconds=1))
    other = await post(harness, "k6", b'{"n": 2}')
    taken_over = await post(harness, "k6")

    assert blocked.status_code == 409
    assert other.status_code == 422
    assert taken_over.status_code == 201
    assert "idempotent-replayed" not in taken_over.headers
    assert harness.script.calls == 1
    # Stamped with the dead claim's time: the retry names what the dead attempt may have created.
    [passed_on] = harness.script.request_keys
    assert passed_on is not None
    assert passed_on.first_claimed_ms == int(dead.first_claimed_at.timestamp() * 1000)


async def test_a_first_attempt_that_outlived_its_lease_does_not_overwrite_the_retry(harness: Harness) -> None:
    harness.script.gate = asyncio.Event()
    slow = asyncio.create_task(post(harness, "k7"))
    await asyncio.wait_for(harness.script.entered.wait(), timeout=5)
    harness.clock.advance(LEASE + timedelta(seconds=1))
    retry = await post(harness, "k7")
    harness.script.gate.set()
    slow_answer = await slow

    assert slow_answer.json()["call"] == 1  # its own client gets its answer; the store keeps the retry's

    replay = await post(harness, "k7")
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["call"] == retry.json()["call"] == 2


async def test_posts_that_deduplicate_on_their_own_need_no_key(harness: Harness) -> None:
    token = await post(harness, None, path="/v1/oauth/token")
    webhook = await post(harness, None, path="/v1/webhooks/asso-1")
    assert token.status_code == webhook.status_code == 200


async def test_expired_keys_are_purged_and_the_others_kept(harness: Harness) -> None:
    await post(harness, "old")
    harness.clock.advance(timedelta(days=3))
    await post(harness, "recent")
    store = KeyStore(harness.pool, SEALER)

    purged = await store.purge(harness.clock.now() + timedelta(days=5))

    assert purged == 1
    left = await harness.pool.fetch("SELECT key FROM idempotency_keys")
    assert [row["key"] for row in left] == ["recent"]


async def test_the_purge_runs_beside_the_requests_without_being_asked(harness: Harness) -> None:
    await post(harness, "old")
    harness.clock.advance(timedelta(days=8))
    await post(harness, "new")  # the first purge is due a minute after the first request

    deadline = time.monotonic() + 5
    while await harness.pool.fetchval("SELECT count(*) FROM idempotency_keys WHERE key = 'old'"):
        assert time.monotonic() < deadline, "the expired key was never purged"
        await asyncio.sleep(0.05)
