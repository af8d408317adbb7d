"""Calls from the gateway to a service's internal API, with the caller's tenant in a signed internal token.

In the embedded mode the client speaks to the service's app in process (httpx ASGITransport); in the
distributed mode, over HTTP. The code path is the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import Response

from services import internal_token
from services.internal_token import Caller
from services.telemetry import current_traceparent

# What a service's answer keeps on its way back to the integrator.
_PASSED_HEADERS = ("content-type", "etag", "location")


@dataclass(frozen=True)
class Upstream:
    audience: str
    client: httpx.AsyncClient
    secret: str

    async def call(
        self,
        method: str,
        path: str,
        caller: Caller,
        *,
        json: Any = None,
        request_id: str | None = None,
        params: Mapping[str, str | int] | None = None,
        if_match: str | None = None,
    ) -> httpx.Response:
        token = internal_token.issue(self.secret, caller, audience=self.audience)
        headers = {"Authorization": f"Bearer {token}"}
        if if_match is not None:
            headers["If-Match"] = if_match
        if request_id:
            headers["Request-Id"] = request_id
        traceparent = current_traceparent()
        if traceparent:
            headers["traceparent"] = traceparent
        return await self.client.request(method, path, json=json, headers=headers, params=params)


def passed_through(answer: httpx.Response) -> Response:
    """The service's status and body, as they are: its errors are already problem+json."""
    headers = {name: answer.headers[name] for name in _PASSED_HEADERS if name in answer.headers}
    return Response(content=answer.content, status_code=answer.status_code, headers=headers)
