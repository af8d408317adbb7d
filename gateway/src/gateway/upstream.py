"""Calls from the gateway to a service's internal API, with the caller's tenant in a signed internal token.

In the embedded mode the call reaches the service's app in process (httpx ASGITransport); in the
distributed mode it goes over HTTP with aiohttp, whose connection pool costs a fraction of httpx's per request
(httpcore checks every pooled socket on each request: measured as most of the gateway's time under load).
The routes see one shape either way: `Upstream.call` -> `Answer`.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import httpx
from fastapi import Response

from gateway.idempotency import current_request_key
from services import internal_token, request_keys
from services.http import current_request_id
from services.internal_token import Caller
from services.telemetry import current_traceparent

# What a service's answer keeps on its way back to the integrator (Cache-Control: no-store also keeps it out
# of the gateway's read cache, ADR 007).
_PASSED_HEADERS = ("content-type", "etag", "location", "cache-control")
Params = Mapping[str, str | int]


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]  # the passed headers, lower-case names
    body: bytes


class ServiceClient(Protocol):
    async def request(
        self, method: str, path: str, *, headers: dict[str, str], body: bytes | None, params: Params | None
    ) -> Answer: ...

    async def close(self) -> None: ...


class InProcessClient:
    """The service's app in this process (the embedded mode)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def request(
        self, method: str, path: str, *, headers: dict[str, str], body: bytes | None, params: Params | None
    ) -> Answer:
        answer = await self._client.request(method, path, headers=headers, content=body, params=params)
        kept = {name: answer.headers[name] for name in _PASSED_HEADERS if name in answer.headers}
        return Answer(answer.status_code, kept, answer.content)

    async def close(self) -> None:
        await self._client.aclose()


class HttpClient:
    """The service over HTTP (the distributed mode), kept-alive connections, 15 s per call."""

    def __init__(self, base_url: str, *, connections: int = 64, timeout: float = 15.0) -> None:
        self._base_url = base_url.rstrip("/")
        self._connections = connections
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        # Made on first use, inside the running event loop.
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
        return self._session

    async def request(
        self, method: str, path: str, *, headers: dict[str, str], body: bytes | None, params: Params | None
    ) -> Answer:
        query = {name: str(value) for name, value in params.items()} if params else None
        async with self._open().request(
            method, self._base_url + path, headers=headers, data=body, params=query
        ) as answer:
            content = await answer.read()
            kept = {name: answer.headers[name] for name in _PASSED_HEADERS if name in answer.headers}
            return Answer(answer.status, kept, content)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


class Upstream:
    """A service as the gateway calls it: its client, and the tokens that say who calls."""

    def __init__(self, audience: str, client: ServiceClient, secret: str) -> None:
        self.audience = audience
        self.client = client
        self._tokens = internal_token.TokenIssuer(secret, audience=audience)

    async def call(
        self,
        method: str,
        path: str,
        caller: Caller,
        *,
        json: Any = None,
        params: Params | None = None,
        if_match: str | None = None,
    ) -> Answer:
        token = self._tokens.token_for(caller)
        headers = {"Authorization": f"Bearer {token}"}
        body = None
        if json is not None:
            body = jsonlib.dumps(json, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        if if_match is not None:
            headers["If-Match"] = if_match
        # The request being served: one id and one trace from the integrator's call into the service.
        request_id = current_request_id()
        if request_id:
            headers["Request-Id"] = request_id
        traceparent = current_traceparent()
        if traceparent:
            headers["traceparent"] = traceparent
        # A create names what it creates after the integrator's Idempotency-Key (ADR 023).
        request_key = current_request_key()
        if request_key is not None:
            headers[request_keys.HEADER] = request_key.header()
        return await self.client.request(method, path, headers=headers, body=body, params=params)


def passed_through(answer: Answer) -> Response:
    """The service's status and body, as they are: its errors are already problem+json."""
    return Response(content=answer.body, status_code=answer.status, headers=dict(answer.headers))


def query(**values: str | int | None) -> dict[str, str | int]:
    """The query a list route passes on: its page and the filters the integrator set (None means unset)."""
    return {name: value for name, value in values.items() if value is not None}
