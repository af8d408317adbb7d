"""Idempotency-Key through the whole embedded back-office: POST /v1/members creates one member per key."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from backoffice.embedded import EmbeddedBackoffice
from gateway.auth.api_keys import caller_for_key, create_client
from gateway.auth.client import ApiClient
from gateway.clock import clock_of
from gateway.idempotency import TTL
from gateway.rate_limit import RateLimitMiddleware

API_VERSION = "2026-11-26"
APPLICATION = {"person_kind": "natural_person", "display_name": "Camille Martin", "category": 1}


@asynccontextmanager
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    """A database of its own: the services' schemas have fixed names."""
    name = f"gw_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


class ResolveCallerForTests:
    """Puts the caller's `ApiClient` in `scope["state"]["api_client"]` when nothing did before it.

    Stands in for the gateway's caller-resolution middleware while it is not registered; once it is (the
    first line of `configure`), it runs first and this one does nothing.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope.setdefault("state", {})
        if scope["type"] == "http" and "api_client" not in state:
            state["api_client"] = await self._resolve(scope)
        await self.app(scope, receive, send)

    async def _resolve(self, scope: Scope) -> ApiClient | None:
        headers = dict(scope["headers"])
        scheme, _, key = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not key:
            return None
        pool = scope["app"].state.resources.pool
        caller = await caller_for_key(pool, key.strip())
        if caller is None:
            return None
        version = await pool.fetchval(
            "SELECT api_version FROM api_clients WHERE client_id = $1", caller.client_id
        )
        return ApiClient(caller.client_id, caller.tenant, caller.scopes, version)


def resolve_callers(backoffice: EmbeddedBackoffice) -> None:
    middlewares = backoffice.gateway.app.user_middleware
    at = next(
        n for n, m in enumerate(middlewares) if getattr(m.cls, "__name__", "") == RateLimitMiddleware.__name__
    )
    middlewares.insert(at, Middleware(ResolveCallerForTests))


@pytest_asyncio.fixture(scope="module")
async def backoffice(database_url: str) -> AsyncIterator[EmbeddedBackoffice]:
    async with fresh_database(database_url) as url:
        running = EmbeddedBackoffice(url, poll_interval=0.2)
        resolve_callers(running)
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


async def api_key(backoffice: EmbeddedBackoffice, *scopes: str) -> str:
    async with backoffice.gateway.pool.acquire() as conn:
        new = await create_client(
            conn, tenant="smartfr", name="test", scopes=list(scopes), api_version=API_VERSION
        )
    return new.api_key


async def members_created(backoffice: EmbeddedBackoffice) -> int:
    count: int = await backoffice.services["members"].pool.fetchval(
        "SELECT count(DISTINCT stream_id) FROM events"
    )
    return count


def headers(key: str, idempotency_key: str | None = None, **more: str) -> dict[str, str]:
    sent = {"Authorization": f"Bearer {key}", **more}
    if idempotency_key is not None:
        sent["Idempotency-Key"] = idempotency_key
    return sent


def problem_code(answer: httpx.Response) -> Any:
    assert answer.headers["content-type"].startswith("application/problem+json"), answer.text
    return answer.json()["code"]


async def test_twenty_concurrent_posts_with_one_key_create_one_member(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    # given a client and one idempotency key
    key = await api_key(backoffice, "members:write")
    before = await members_created(backoffice)
    sent = headers(key, "apply-camille-1")

    # when the same POST is sent 20 times at once
    answers = await asyncio.gather(
        *(gateway.post("/v1/members", json=APPLICATION, headers=sent) for _ in range(20))
    )

    # then one member exists, one answer is the original, the others replay it or say it is still running
    assert await members_created(backoffice) == before + 1
    created = [a for a in answers if a.status_code == 201]
    running = [a for a in answers if a.status_code == 409]
    assert len(created) + len(running) == 20, [a.status_code for a in answers]
    assert [a.headers.get("idempotent-replayed") for a in created].count(None) == 1
    assert all(a.headers.get("idempotent-replayed") in (None, "true") for a in created)
    assert len({a.content for a in created}) == 1
    assert {problem_code(a) for a in running} <= {"idempotency_key_in_flight"}

    # and a retry once everything answered replays the first answer with its headers
    replay = await gateway.post("/v1/members", json=APPLICATION, headers=sent)
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == created[0].content
    assert replay.headers["location"] == created[0].headers["location"]
    assert replay.headers["etag"] == created[0].headers["etag"]
    assert replay.headers["content-type"] == "application/json"
    assert replay.headers["request-id"] != created[0].headers["request-id"]
    assert await members_created(backoffice) == before + 1


async def test_the_same_key_with_another_body_is_refused_and_creates_nothing(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    key = await api_key(backoffice, "members:write")
    first = await gateway.post("/v1/members", json=APPLICATION, headers=headers(key, "apply-2"))
    assert first.status_code == 201, first.text
    before = await members_created(backoffice)

    other = {**APPLICATION, "display_name": "Dominique Martin"}
    answer = await gateway.post("/v1/members", json=other, headers=headers(key, "apply-2"))

    assert answer.status_code == 422
    assert problem_code(answer) == "idempotency_key_reused"
    assert answer.json()["param"] == "Idempotency-Key"
    assert await members_created(backoffice) == before


async def test_keys_belong_to_one_client(backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient) -> None:
    one = await api_key(backoffice, "members:write")
    another = await api_key(backoffice, "members:write")
    before = await members_created(backoffice)

    first = await gateway.post("/v1/members", json=APPLICATION, headers=headers(one, "shared-key"))
    second = await gateway.post("/v1/members", json=APPLICATION, headers=headers(another, "shared-key"))

    assert first.status_code == second.status_code == 201
    assert "idempotent-replayed" not in second.headers
    assert first.json()["id"] != second.json()["id"]
    assert await members_created(backoffice) == before + 2


async def test_a_key_used_more_than_seven_days_ago_runs_the_request_again(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    key = await api_key(backoffice, "members:write")
    first = await gateway.post("/v1/members", json=APPLICATION, headers=headers(key, "apply-3"))
    assert first.status_code == 201
    clock = clock_of(backoffice.gateway.app)
    within = await gateway.post("/v1/members", json=APPLICATION, headers=headers(key, "apply-3"))
    assert within.headers["idempotent-replayed"] == "true"

    clock.advance(TTL + timedelta(seconds=1))
    try:
        later = await gateway.post("/v1/members", json=APPLICATION, headers=headers(key, "apply-3"))
    finally:
        clock.advance(-(TTL + timedelta(seconds=1)))

    assert later.status_code == 201
    assert "idempotent-replayed" not in later.headers
    assert later.json()["id"] != first.json()["id"]


async def test_a_post_without_a_key_is_refused_and_creates_nothing(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    key = await api_key(backoffice, "members:write")
    before = await members_created(backoffice)

    answer = await gateway.post("/v1/members", json=APPLICATION, headers=headers(key))

    assert answer.status_code == 400
    assert problem_code(answer) == "idempotency_key_required"
    assert answer.json()["request_id"] == answer.headers["request-id"]
    assert await members_created(backoffice) == before


@pytest.mark.parametrize(
    "idempotency_key",
    [b"", b"k" * 256, b"caf\xc3\xa9", b"tab\there", b"nul\x00"],
    ids=["empty", "too-long", "not-ascii", "control-character", "nul"],
)
async def test_a_key_that_is_not_1_to_255_printable_ascii_characters_is_refused(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient, idempotency_key: bytes
) -> None:
    key = await api_key(backoffice, "members:write")
    before = await members_created(backoffice)
    sent = [(b"authorization", f"Bearer {key}".encode()), (b"idempotency-key", idempotency_key)]

    answer = await gateway.post("/v1/members", json=APPLICATION, headers=sent)

    assert answer.status_code == 400
    assert problem_code(answer) == "idempotency_key_invalid"
    assert await members_created(backoffice) == before


async def test_a_key_of_255_printable_characters_is_accepted(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    key = await api_key(backoffice, "members:write")
    printable = "".join(chr(c) for c in range(0x21, 0x7F))
    answer = await gateway.post("/v1/members", json=APPLICATION, headers=headers(key, (printable * 3)[:255]))
    assert answer.status_code == 201, answer.text


async def test_a_refused_body_is_replayed_but_a_missing_scope_is_not_remembered(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    writer = await api_key(backoffice, "members:write")
    invalid = {**APPLICATION, "category": 12}
    first = await gateway.post("/v1/members", json=invalid, headers=headers(writer, "bad-body"))
    again = await gateway.post("/v1/members", json=invalid, headers=headers(writer, "bad-body"))
    assert first.status_code == again.status_code == 400
    assert again.headers["idempotent-replayed"] == "true"

    reader = await api_key(backoffice, "members:read")
    refused = await gateway.post("/v1/members", json=APPLICATION, headers=headers(reader, "no-scope"))
    refused_again = await gateway.post("/v1/members", json=APPLICATION, headers=headers(reader, "no-scope"))
    assert refused.status_code == refused_again.status_code == 403
    assert "idempotent-replayed" not in refused_again.headers


async def test_an_anonymous_post_is_refused_as_unauthenticated_not_for_its_missing_key(
    gateway: httpx.AsyncClient,
) -> None:
    answer = await gateway.post("/v1/members", json=APPLICATION)
    assert answer.status_code == 401


async def test_a_get_needs_no_key(backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient) -> None:
    key = await api_key(backoffice, "members:write", "members:read")
    created = await gateway.post("/v1/members", json=APPLICATION, headers=headers(key, "apply-get"))
    answer = await gateway.get(created.headers["location"], headers=headers(key))
    assert answer.status_code in (200, 404)  # the read model may not have caught up: not what is tested
    assert "idempotent-replayed" not in answer.headers


async def test_a_post_to_no_route_is_answered_by_the_router_not_for_its_missing_key(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    key = await api_key(backoffice, "members:read")
    wrong_method = await gateway.post(f"/v1/members/{uuid.uuid4()}", json={}, headers=headers(key))
    no_such_path = await gateway.post("/v1/nothing-here", json={}, headers=headers(key))
    assert wrong_method.status_code == 405
    assert no_such_path.status_code == 404


async def test_the_kept_answer_is_sealed_at_rest_and_replays_in_clear(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    # given a create whose answer is kept for replays
    key = await api_key(backoffice, "members:write")
    first = await gateway.post("/v1/members", json=APPLICATION, headers=headers(key, "sealed-1"))
    assert first.status_code == 201, first.text
    member_id = first.json()["id"]

    # then the table holds none of the answer in clear (answers may carry a secret shown once)
    stored = await backoffice.gateway.pool.fetchval(
        "SELECT body FROM idempotency_keys WHERE key = $1", "sealed-1"
    )
    assert member_id.encode() not in stored
    assert b'"status"' not in stored

    # and a retry replays it exactly
    replay = await gateway.post("/v1/members", json=APPLICATION, headers=headers(key, "sealed-1"))
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == first.content
