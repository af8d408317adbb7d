"""Rate limits through the embedded back-office: 5 requests an hour per client, so no quota leaks back."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import asyncpg
import httpx
import pytest_asyncio
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from backoffice.embedded import EmbeddedBackoffice
from gateway.auth.api_keys import caller_for_key, create_client
from gateway.auth.client import ApiClient
from gateway.clock import clock_of
from gateway.rate_limit import RateLimitMiddleware

QUOTA, WINDOW = 5, 3600  # one request back every 720 s
POLICY = f'"default";q={QUOTA};w={WINDOW}'
_STATE = re.compile(r'^"default";r=(\d+);t=(\d+)$')


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


class ResolveCallerForTests:
    """Sets `scope["state"]["api_client"]` when no caller-resolution middleware ran before (a no-op once one
    is registered first in `configure`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope.setdefault("state", {})
        if scope["type"] == "http" and "api_client" not in state:
            scheme, _, key = dict(scope["headers"]).get(b"authorization", b"").decode().partition(" ")
            pool = scope["app"].state.resources.pool
            caller = await caller_for_key(pool, key) if scheme.lower() == "bearer" else None
            state["api_client"] = (
                None if caller is None else ApiClient(caller.client_id, caller.tenant, caller.scopes, "")
            )
        await self.app(scope, receive, send)


@pytest_asyncio.fixture(scope="module")
async def backoffice(database_url: str) -> AsyncIterator[EmbeddedBackoffice]:
    async with fresh_database(database_url) as url:
        running = EmbeddedBackoffice(
            url, poll_interval=0.2, rate_limit_quota=QUOTA, rate_limit_window_seconds=WINDOW
        )
        middlewares = running.gateway.app.user_middleware
        at = next(
            n
            for n, m in enumerate(middlewares)
            if getattr(m.cls, "__name__", "") == RateLimitMiddleware.__name__
        )
        middlewares.insert(at, Middleware(ResolveCallerForTests))
        await running.start()
        try:
            yield running
        finally:
            await running.stop()


@asynccontextmanager
async def gateway_from(backoffice: EmbeddedBackoffice, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=backoffice.gateway.app, client=(address, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


async def bearer(backoffice: EmbeddedBackoffice) -> dict[str, str]:
    async with backoffice.gateway.pool.acquire() as conn:
        new = await create_client(
            conn, tenant="smartfr", name="test", scopes=["members:read"], api_version="2026-11-26"
        )
    return {"Authorization": f"Bearer {new.api_key}"}


def remaining(answer: httpx.Response) -> int:
    assert answer.headers["ratelimit-policy"] == POLICY
    found = _STATE.match(answer.headers["ratelimit"])
    assert found, answer.headers["ratelimit"]
    return int(found.group(1))


def a_member() -> str:
    return f"/v1/members/{uuid.uuid4()}"


async def test_the_request_after_the_quota_is_refused_with_retry_after(
    backoffice: EmbeddedBackoffice,
) -> None:
    # given a client
    auth = await bearer(backoffice)
    async with gateway_from(backoffice, "10.0.0.1") as gateway:
        # when it sends one more request than its quota
        answers = [await gateway.get(a_member(), headers=auth) for _ in range(QUOTA + 1)]

    # then every answer counts down, and the last is a 429 telling when to come back
    assert [a.status_code for a in answers] == [404] * QUOTA + [429]
    assert [remaining(a) for a in answers] == [4, 3, 2, 1, 0, 0]
    refused = answers[-1]
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "rate_limited"
    assert refused.json()["request_id"] == refused.headers["request-id"]
    assert refused.headers["retry-after"] == str(WINDOW // QUOTA)
    assert refused.headers["ratelimit"] == f'"default";r=0;t={WINDOW}'


async def test_each_client_has_its_own_quota(backoffice: EmbeddedBackoffice) -> None:
    one, other = await bearer(backoffice), await bearer(backoffice)
    async with gateway_from(backoffice, "10.0.0.2") as gateway:
        for _ in range(QUOTA):
            await gateway.get(a_member(), headers=one)
        refused = await gateway.get(a_member(), headers=one)
        served = await gateway.get(a_member(), headers=other)

    assert refused.status_code == 429
    assert served.status_code == 404
    assert remaining(served) == QUOTA - 1


async def test_anonymous_callers_are_limited_per_address(backoffice: EmbeddedBackoffice) -> None:
    async with gateway_from(backoffice, "10.0.0.3") as gateway:
        answers = [await gateway.get(a_member()) for _ in range(QUOTA + 1)]
    async with gateway_from(backoffice, "10.0.0.4") as gateway:
        elsewhere = await gateway.get(a_member())

    assert [a.status_code for a in answers] == [401] * QUOTA + [429]
    assert all("ratelimit" in a.headers for a in answers)
    assert elsewhere.status_code == 401
    assert remaining(elsewhere) == QUOTA - 1


async def test_quota_comes_back_one_request_per_interval(backoffice: EmbeddedBackoffice) -> None:
    auth = await bearer(backoffice)
    clock = clock_of(backoffice.gateway.app)
    async with gateway_from(backoffice, "10.0.0.5") as gateway:
        for _ in range(QUOTA):
            await gateway.get(a_member(), headers=auth)
        assert (await gateway.get(a_member(), headers=auth)).status_code == 429
        clock.advance(timedelta(seconds=WINDOW // QUOTA))
        try:
            back = await gateway.get(a_member(), headers=auth)
            again = await gateway.get(a_member(), headers=auth)
        finally:
            clock.advance(-timedelta(seconds=WINDOW // QUOTA))

    assert back.status_code == 404
    assert again.status_code == 429


async def test_probes_are_never_limited(backoffice: EmbeddedBackoffice) -> None:
    async with gateway_from(backoffice, "10.0.0.6") as gateway:
        answers = [await gateway.get("/healthz") for _ in range(QUOTA * 2)]
    assert {a.status_code for a in answers} == {200}
    assert all("ratelimit" not in a.headers for a in answers)
