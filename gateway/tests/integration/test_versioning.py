"""Api-Version through the embedded back-office, and the deprecation headers on a route marked deprecated."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

import asyncpg
import httpx
import pytest
import pytest_asyncio
from fastapi import APIRouter, Request
from prometheus_client import CollectorRegistry
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from backoffice.embedded import EmbeddedBackoffice
from gateway import versioning
from gateway.auth.api_keys import caller_for_key, create_client
from gateway.auth.client import ApiClient
from gateway.config import Settings
from gateway.entrypoints.definition import definition
from gateway.rate_limit import RateLimitMiddleware
from gateway.versioning import (
    CURRENT,
    VERSIONS,
    VersioningMiddleware,
    api_version,
    deprecated,
    document_conventions,
)
from services.http import add_inner_middleware, create_app
from services.runtime import ServiceRuntime

FIRST = "2026-11-26"
NEXT = "2027-03-01"  # a second version, published for the tests that must tell pinned from current


@pytest.fixture
def two_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(versioning, "VERSIONS", (FIRST, NEXT))
    monkeypatch.setattr(versioning, "_KNOWN", frozenset({FIRST, NEXT}))
    monkeypatch.setattr(versioning, "CURRENT", NEXT)


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
            client = None
            if caller is not None:
                version: str = await pool.fetchval(
                    "SELECT api_version FROM api_clients WHERE client_id = $1", caller.client_id
                )
                client = ApiClient(caller.client_id, caller.tenant, caller.scopes, version)
            state["api_client"] = client
        await self.app(scope, receive, send)


@pytest_asyncio.fixture(scope="module")
async def backoffice(database_url: str) -> AsyncIterator[EmbeddedBackoffice]:
    async with fresh_database(database_url) as url:
        running = EmbeddedBackoffice(url, poll_interval=0.2)
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


@pytest_asyncio.fixture
async def gateway(backoffice: EmbeddedBackoffice) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=backoffice.gateway.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


async def bearer(backoffice: EmbeddedBackoffice, pinned: str = FIRST) -> dict[str, str]:
    async with backoffice.gateway.pool.acquire() as conn:
        new = await create_client(
            conn, tenant="smartfr", name="test", scopes=["members:read"], api_version=pinned
        )
    return {"Authorization": f"Bearer {new.api_key}"}


def a_member() -> str:
    return f"/v1/members/{uuid.uuid4()}"


def test_the_registry_starts_on_the_first_version_and_is_ordered() -> None:
    assert VERSIONS[0] == FIRST
    assert list(VERSIONS) == sorted(set(VERSIONS))
    assert VERSIONS[-1] == CURRENT
    assert all(date.fromisoformat(v).isoformat() == v for v in VERSIONS)


@pytest.mark.usefixtures("two_versions")
async def test_without_the_header_the_client_is_served_its_pinned_version(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    auth = await bearer(backoffice, pinned=FIRST)
    answer = await gateway.get(a_member(), headers=auth)
    assert answer.status_code == 404
    assert answer.headers["api-version"] == FIRST


@pytest.mark.usefixtures("two_versions")
async def test_a_published_version_asked_for_is_the_one_served(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    auth = await bearer(backoffice, pinned=FIRST)
    answer = await gateway.get(a_member(), headers={**auth, "Api-Version": NEXT})
    assert answer.status_code == 404
    assert answer.headers["api-version"] == NEXT


@pytest.mark.parametrize("asked", ["2026-11-25", "2099-01-01", "latest", "2026-11-26T00:00:00Z", ""])
async def test_an_unknown_version_is_refused_before_anything_runs(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient, asked: str
) -> None:
    auth = await bearer(backoffice)
    answer = await gateway.get(a_member(), headers={**auth, "Api-Version": asked})
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["code"] == "unknown_api_version"
    assert problem["param"] == "Api-Version"
    assert problem["supported_versions"] == list(VERSIONS)
    assert "ratelimit" in answer.headers


@pytest.mark.usefixtures("two_versions")
async def test_an_anonymous_call_is_labelled_with_the_current_version(gateway: httpx.AsyncClient) -> None:
    answer = await gateway.get(a_member())
    assert answer.status_code == 401
    assert answer.headers["api-version"] == NEXT


async def test_paths_outside_v1_carry_no_version(gateway: httpx.AsyncClient) -> None:
    answer = await gateway.get("/healthz", headers={"Api-Version": "nonsense"})
    assert answer.status_code == 200
    assert "api-version" not in answer.headers


class AsClient:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope.setdefault("state", {})["api_client"] = ApiClient("cli_v", "smartfr", frozenset(), FIRST)
        await self.app(scope, receive, send)


@pytest_asyncio.fixture
async def versioned() -> AsyncIterator[httpx.AsyncClient]:
    router = APIRouter(prefix="/v1")

    @router.get("/old", **deprecated(on=date(2027, 1, 1), sunset=date(2027, 7, 1)))
    async def old(request: Request) -> dict[str, str]:
        return {"served_with": api_version(request)}

    @router.get("/new")
    async def new(request: Request) -> dict[str, str]:
        return {"served_with": api_version(request)}

    app = create_app(title="versioned", version="1", routers=[router], metrics_registry=CollectorRegistry())
    add_inner_middleware(app, AsClient)
    add_inner_middleware(app, VersioningMiddleware)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        yield client


async def test_a_deprecated_route_says_so_with_its_sunset_and_a_link(versioned: httpx.AsyncClient) -> None:
    answer = await versioned.get("/v1/old")

    assert answer.status_code == 200
    assert answer.json() == {"served_with": FIRST}
    assert answer.headers["deprecation"] == "@1798761600"  # 2027-01-01T00:00:00Z
    assert answer.headers["sunset"] == "Thu, 01 Jul 2027 00:00:00 GMT"
    assert answer.headers["link"] == f'<{versioning.CHANGELOG_URL}>; rel="deprecation"'
    assert answer.headers["api-version"] == FIRST


async def test_a_route_not_deprecated_has_no_deprecation_headers(versioned: httpx.AsyncClient) -> None:
    answer = await versioned.get("/v1/new")
    assert answer.json() == {"served_with": FIRST}
    assert "deprecation" not in answer.headers
    assert "sunset" not in answer.headers


async def test_the_openapi_document_marks_the_deprecated_operation(versioned: httpx.AsyncClient) -> None:
    document = (await versioned.get("/openapi.json")).json()
    operation = document["paths"]["/v1/old"]["get"]
    assert operation["deprecated"] is True
    assert operation["x-deprecation"]["sunset"] == "2027-07-01"
    assert "deprecated" not in document["paths"]["/v1/new"]["get"]


def test_a_route_cannot_be_sunset_before_it_is_deprecated() -> None:
    with pytest.raises(ValueError, match="sunset"):
        deprecated(on=date(2027, 7, 1), sunset=date(2027, 1, 1))


def test_the_openapi_document_tells_the_versions_idempotency_and_rate_limits() -> None:
    runtime = ServiceRuntime(definition(lambda _service: httpx.AsyncClient()), Settings())
    document_conventions(runtime.app)
    document = runtime.app.openapi()

    create = document["paths"]["/v1/members"]["post"]
    key = next(p for p in create["parameters"] if p["name"] == "Idempotency-Key")
    assert key["in"] == "header"
    assert key["required"] is True
    assert {"400", "409", "422", "429"} <= set(create["responses"])
    assert "Retry-After" in create["responses"]["429"]["headers"]
    token = document["paths"]["/v1/oauth/token"]["post"]
    assert all(p["name"] != "Idempotency-Key" for p in token.get("parameters", []))
    read = document["paths"]["/v1/members/{member_id}"]["get"]
    version = next(p for p in read["parameters"] if p["name"] == "Api-Version")
    assert version["required"] is False
    assert version["schema"]["enum"] == list(VERSIONS)
    assert "429" in read["responses"]
