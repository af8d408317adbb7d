"""The read cache middleware on a small app of its own: what is stored, what a hit needs, what a write drops.

The app's routes count their calls; the caller is put in the scope as the gateway's caller middleware does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest_asyncio
from fastapi import APIRouter, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.auth.client import ApiClient
from gateway.auth.dependencies import require
from gateway.read_cache import cached_read
from gateway.read_cache.asgi import ReadCacheMiddleware
from gateway.read_cache.store import ReadCache
from services.http import add_inner_middleware, create_app
from services.internal_token import Caller

THING = "0b9f4c8e-6a2d-4f7e-9c1a-3d5e7f9a1b2c"
calls: dict[str, int] = {}
router = APIRouter(prefix="/v1/things")


def counted(name: str) -> None:
    calls[name] = calls.get(name, 0) + 1


@router.get("/{thing_id}")
@cached_read
async def read_thing(thing_id: str, caller: Annotated[Caller, require("members:read")]) -> Response:
    counted("read")
    return Response(
        b'{"id": "%s"}' % thing_id.encode(), media_type="application/json", headers={"ETag": '"1"'}
    )


@router.get("/{thing_id}/secret")
@cached_read
async def read_secret(thing_id: str, caller: Annotated[Caller, require("members:read")]) -> Response:
    counted("secret")
    headers = {"ETag": '"1"', "Cache-Control": "no-store"}
    return Response(b"{}", media_type="application/json", headers=headers)


@router.post("/{thing_id}/renaming")
async def rename_thing(thing_id: str, caller: Annotated[Caller, require("members:write")]) -> Response:
    counted("rename")
    return Response(b"{}", media_type="application/json", headers={"ETag": '"2"'})


class AsClient:
    """The caller from an `X-Scopes` header, where the gateway's caller middleware would put it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        scopes = frozenset(headers.get(b"x-scopes", b"").decode().split())
        tenant = headers.get(b"x-tenant", b"smartfr").decode()
        state = scope.setdefault("state", {})
        state["api_client"] = ApiClient("cli_test", tenant, scopes, "2026-11-26")
        state["api_version"] = "2026-11-26"
        await self.app(scope, receive, send)


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    calls.clear()
    cache = ReadCache()
    cache.listening = True
    app = create_app(title="things", version="1", routers=[router])
    add_inner_middleware(app, AsClient)
    add_inner_middleware(app, ReadCacheMiddleware, cache=cache)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as made:
        yield made


READER = {"X-Scopes": "members:read members:write"}


async def test_a_marked_read_is_answered_once_by_the_route(client: httpx.AsyncClient) -> None:
    answers = [await client.get(f"/v1/things/{THING}", headers=READER) for _ in range(3)]
    assert calls == {"read": 1}
    assert {a.content for a in answers} == {b'{"id": "%s"}' % THING.encode()}
    assert {a.headers["etag"] for a in answers} == {'"1"'}


async def test_an_answer_marked_no_store_is_never_stored(client: httpx.AsyncClient) -> None:
    for _ in range(2):
        answer = await client.get(f"/v1/things/{THING}/secret", headers=READER)
        assert answer.headers["cache-control"] == "no-store"
    assert calls == {"secret": 2}


async def test_a_hit_needs_the_routes_scope_and_the_same_tenant(client: httpx.AsyncClient) -> None:
    await client.get(f"/v1/things/{THING}", headers=READER)

    refused = await client.get(f"/v1/things/{THING}", headers={"X-Scopes": "members:write"})
    other = await client.get(f"/v1/things/{THING}", headers={**READER, "X-Tenant": "alterna"})

    assert refused.status_code == 403
    assert other.status_code == 200
    assert calls == {"read": 2}  # the other tenant's read reached the route


async def test_a_write_below_a_cached_path_drops_it(client: httpx.AsyncClient) -> None:
    await client.get(f"/v1/things/{THING}", headers=READER)
    assert (await client.post(f"/v1/things/{THING}/renaming", headers=READER)).status_code == 200

    await client.get(f"/v1/things/{THING}", headers=READER)

    assert calls == {"read": 2, "rename": 1}


async def test_if_none_match_on_a_hit_is_not_modified(client: httpx.AsyncClient) -> None:
    await client.get(f"/v1/things/{THING}", headers=READER)

    answer = await client.get(f"/v1/things/{THING}", headers={**READER, "If-None-Match": 'W/"0", "1"'})

    assert answer.status_code == 304
    assert answer.headers["etag"] == '"1"'
    assert calls == {"read": 1}
