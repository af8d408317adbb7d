"""API versions: `/v1` in the path, and a dated `Api-Version: YYYY-MM-DD` header within it.

A request without the header is served with the version its client is pinned to (the one current when the
client was created); an unknown version is a 400 `unknown_api_version`. Every `/v1` answer says which version
served it. Routes read it with `api_version(request)`. What may change within a version is in
docs/api-changelog.md.

Deprecated routes are marked where they are declared, `@router.get(..., **deprecated(on=..., sunset=...))`,
and answer with `Deprecation` (RFC 9745), `Sunset` (RFC 8594) and `Link: <docs>; rel="deprecation"`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from email.utils import format_datetime
from typing import Any

from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import idempotency, rate_limit
from gateway.read_cache import openapi as read_cache_openapi
from services.http import Problem

# Every version ever published, oldest first; the last is the current one (new clients are pinned to it).
VERSIONS: tuple[str, ...] = ("2026-11-26",)
CURRENT = VERSIONS[-1]
_KNOWN = frozenset(VERSIONS)

HEADER = "Api-Version"
_HEADER = b"api-version"
_PREFIX = "/v1"
CHANGELOG_URL = "https://docs.smartfr.coop/api-changelog"
_DEPRECATION_KEY = "x-deprecation"


def api_version(request: Request) -> str:
    """The version the request is served with (set by `VersioningMiddleware`)."""
    version: str = request.scope.get("state", {}).get("api_version", CURRENT)
    return version


def deprecated(*, on: date, sunset: date | None = None, link: str = CHANGELOG_URL) -> dict[str, Any]:
    """Keyword arguments for a route decorator marking the route deprecated since `on` (UTC midnight).

    `sunset` is when it stops answering; `link` is the page telling integrators what to use instead.
    The OpenAPI document shows the operation as deprecated, with the dates under `x-deprecation`.
    """
    since = datetime.combine(on, time(), UTC)
    headers = {
        "Deprecation": f"@{int(since.timestamp())}",
        "Link": f'<{link}>; rel="deprecation"',
    }
    extra: dict[str, Any] = {"deprecated_on": on.isoformat(), "link": link}
    if sunset is not None:
        if sunset < on:
            raise ValueError("a route cannot be sunset before it is deprecated")
        headers["Sunset"] = format_datetime(datetime.combine(sunset, time(), UTC), usegmt=True)
        extra["sunset"] = sunset.isoformat()
    extra["headers"] = headers
    return {"deprecated": True, "openapi_extra": {_DEPRECATION_KEY: extra}}


def _deprecation_headers(route: Any) -> list[tuple[bytes, bytes]]:
    extra = getattr(route, "openapi_extra", None)
    if not extra or _DEPRECATION_KEY not in extra:
        return []
    headers: dict[str, str] = extra[_DEPRECATION_KEY]["headers"]
    return [(name.lower().encode(), value.encode()) for name, value in headers.items()]


def _unknown(version: str) -> Problem:
    return Problem(
        400,
        "unknown_api_version",
        detail=f"{HEADER} {version!r} is not a published version; use one of {', '.join(VERSIONS)}.",
        param=HEADER,
        extensions={"supported_versions": list(VERSIONS)},
    )


class VersioningMiddleware:
    """Pure ASGI, for `/v1` paths only: resolves the version, refuses an unknown one, labels the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # Route -> its deprecation headers, computed once per route.
        self._deprecations: dict[int, list[tuple[bytes, bytes]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not (path == _PREFIX or path.startswith(_PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        requested = None
        for name, value in scope["headers"]:
            if name == _HEADER:
                requested = value.decode("latin-1").strip()
                break
        state = scope.setdefault("state", {})
        client = state.get("api_client")
        if requested is None or client is None:
            # An anonymous call is refused 401 whatever version it asks for: the 401 is labelled current.
            pinned = getattr(client, "api_version", None)
            version = pinned if pinned in _KNOWN else CURRENT
        elif requested in _KNOWN:
            version = requested
        else:
            await _unknown(requested).response()(scope, receive, send)
            return
        state["api_version"] = version
        served = (_HEADER, version.encode())

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [served]
                route = scope.get("route")
                if route is not None:
                    found = self._deprecations.get(id(route))
                    if found is None:
                        found = self._deprecations[id(route)] = _deprecation_headers(route)
                    extra.extend(found)
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_version)


def amend_openapi(document: dict[str, Any]) -> None:
    """Every /v1 operation takes an optional Api-Version header."""
    parameter = {
        "name": HEADER,
        "in": "header",
        "required": False,
        "description": "The API version to serve (default: the one your client is pinned to).",
        "schema": {"type": "string", "enum": list(VERSIONS)},
    }
    for path, item in document.get("paths", {}).items():
        if path.startswith(_PREFIX + "/"):
            for operation in item.values():
                if isinstance(operation, dict):
                    parameters = operation.setdefault("parameters", [])
                    if not any(p.get("name") == HEADER for p in parameters):
                        parameters.append(parameter)


def document_conventions(app: FastAPI) -> None:
    """Make the OpenAPI document say what the gateway's middlewares do: versions, idempotency, rate limits,
    conditional reads of cached routes."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            for amend in (amend_openapi, idempotency.amend_openapi, rate_limit.amend_openapi):
                amend(document)
            read_cache_openapi.amend_document(document, read_cache_openapi.cached_paths(app))
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
