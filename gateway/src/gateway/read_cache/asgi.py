"""The read cache on the request path: pure ASGI, the innermost of the gateway's middlewares.

A GET under /v1 by an identified client is looked up by (tenant, path, normalized query, Api-Version). A hit
is answered at once, only if the client holds every scope the route requires (else the route runs and says
403, as without the cache); `If-None-Match` with the entry's ETag is a 304. A miss runs the route; its answer
is stored when the route is marked `@cached_read`, answered 200 with an ETag and no `Cache-Control:
no-store`. Headers the outer middlewares add (Request-Id, RateLimit, Api-Version) are not stored: each answer
gets its own.

Any other method on a /v1 path invalidates that path, its parents and the ids in it, as soon as its answer
starts (before the client can read it), with the answer's ETag as the floor of those ids.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.read_cache.marker import is_cached_read
from gateway.read_cache.store import (
    Entry,
    Key,
    ReadCache,
    etag_version,
    id_token,
    ids_in,
    tokens_of,
    written_tokens,
)

_PREFIX = "/v1/"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
# What an entry keeps of the route's answer; the rest is added by the middlewares outside this one.
_KEPT = frozenset({b"content-type", b"etag", b"content-language"})
_ETAG = b"etag"


def _query(scope: Scope) -> bytes:
    raw: bytes = scope.get("query_string", b"")
    if not raw:
        return raw
    return urlencode(sorted(parse_qsl(raw.decode("latin-1"), keep_blank_values=True))).encode()


def _header(headers: Any, wanted: bytes) -> bytes | None:
    for name, value in headers:
        if name.lower() == wanted:
            return bytes(value)
    return None


def _matches(if_none_match: bytes, etag: bytes) -> bool:
    """RFC 9110 weak comparison: `*`, or one of the listed tags equal to ours with `W/` ignored."""
    if if_none_match.strip() == b"*":
        return True
    ours = etag.removeprefix(b"W/")
    return any(tag.strip().removeprefix(b"W/") == ours for tag in if_none_match.split(b","))


def _required_scopes(route: Any) -> frozenset[str] | None:
    """Every OAuth scope the route's dependencies require (None when none: such a route is not cached)."""
    found: set[str] = set()
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        found.update(dependant.own_oauth_scopes or ())
        pending.extend(dependant.dependencies)
    return frozenset(found) or None


class ReadCacheMiddleware:
    def __init__(self, app: ASGIApp, *, cache: ReadCache) -> None:
        self.app = app
        self.cache = cache
        self._scopes: dict[int, frozenset[str] | None] = {}  # id(route) -> its required scopes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.cache.enabled or not scope["path"].startswith(_PREFIX):
            await self.app(scope, receive, send)
        elif scope["method"] == "GET":
            await self._read(scope, receive, send)
        elif scope["method"] in _SAFE:
            await self.app(scope, receive, send)
        else:
            await self._write(scope, receive, send)

    async def _read(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope.get("state")
        client = state.get("api_client") if state else None
        if client is None:
            await self.app(scope, receive, send)
            return
        assert state is not None
        cache = self.cache
        key: Key = (client.tenant, scope["path"], _query(scope), state.get("api_version", ""))
        entry = cache.get(key)
        if entry is not None and entry.scopes <= client.scopes:
            await _answer(entry, scope, send)
            return
        started_at_epoch, started_at = cache.epoch, cache.now()
        start: Message | None = None
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if message["status"] == 200 and self._cacheable(scope.get("route"), message):
                    start = message  # held until the body is whole
                    return
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            self._store(key, scope, start, body, started_at_epoch, started_at)
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, keep)

    def _cacheable(self, route: Any, start: Message) -> bool:
        if not is_cached_read(route):
            return False
        if self._scopes_of(route) is None:
            return False
        headers = start.get("headers", ())
        if _header(headers, _ETAG) is None:
            return False
        cache_control = _header(headers, b"cache-control")
        return cache_control is None or b"no-store" not in cache_control.lower()

    def _scopes_of(self, route: Any) -> frozenset[str] | None:
        found = self._scopes.get(id(route), ())
        if found == ():
            found = self._scopes[id(route)] = _required_scopes(route)
        return found  # type: ignore[return-value]

    def _store(
        self, key: Key, scope: Scope, start: Message, body: bytes, started_at_epoch: int, started_at: float
    ) -> None:
        headers = tuple(
            (bytes(name).lower(), bytes(value))
            for name, value in start.get("headers", ())
            if bytes(name).lower() in _KEPT
        )
        scopes = self._scopes_of(scope.get("route"))
        etag = _header(headers, _ETAG)
        assert scopes is not None
        assert etag is not None
        entry = Entry(
            status=200,
            headers=headers,
            body=body,
            etag=etag,
            scopes=scopes,
            tokens=tokens_of(scope["path"]),
            expires_at=self.cache.now() + self.cache.ttl_seconds,
        )
        self.cache.store(key, entry, started_at_epoch=started_at_epoch, started_at=started_at)

    async def _write(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        tokens = written_tokens(path)
        ids = [id_token(found) for found in ids_in(path)]
        invalidated = False

        async def invalidate_first(message: Message) -> None:
            nonlocal invalidated
            if message["type"] == "http.response.start" and not invalidated:
                floors: list[tuple[str, int]] = []
                version = _version(message)
                if 200 <= message["status"] < 300 and version is not None:
                    floors = [(token, version) for token in ids]
                self.cache.invalidate(tokens, floors=floors)
                invalidated = True
            await send(message)

        try:
            await self.app(scope, receive, invalidate_first)
        finally:
            if not invalidated:
                self.cache.invalidate(tokens)


def _version(start: Message) -> int | None:
    return etag_version(_header(start.get("headers", ()), _ETAG))


async def _answer(entry: Entry, scope: Scope, send: Send) -> None:
    if_none_match = _header(scope["headers"], b"if-none-match")
    if if_none_match is not None and _matches(if_none_match, entry.etag):
        await send({"type": "http.response.start", "status": 304, "headers": [(_ETAG, entry.etag)]})
        await send({"type": "http.response.body", "body": b""})
        return
    headers = [*entry.headers, (b"content-length", str(len(entry.body)).encode())]
    await send({"type": "http.response.start", "status": entry.status, "headers": headers})
    await send({"type": "http.response.body", "body": entry.body})
