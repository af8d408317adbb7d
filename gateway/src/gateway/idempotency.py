"""Idempotency-Key on POST: a retried create answers what the first one answered, and creates nothing more.

Keys are stored per (API client, key) in the gateway's schema with a fingerprint of the request (SHA-256 of
method, path with query and body) for 7 days. The key is claimed by one committed INSERT ... ON CONFLICT
before the handler runs, so of concurrent identical requests exactly one runs; the others answer 409
`idempotency_key_in_flight` until it is done, then replay it (`Idempotent-Replayed: true`). The same key with
another request is 422 `idempotency_key_reused`.

While a claimed request runs, its key is passed on to the services it calls (`Request-Key`, with the time the
key was first claimed): they mint the ids of what it creates from it, so a retry that runs again, because this
process died or the service's answer was lost before the answer was kept here, creates nothing more (ADR 023).

The kept answer is sealed (gateway.inbound.sealing, a key of its own): some answers are shown once and only
then (a webhook signing secret, an endpoint's secret), and must not sit in clear for a week.

What is not stored, and frees the claim so that a retry of the same request runs again: 5xx answers, an
exception, and the 4xx answers that say "not now" rather than "never" (403, 409, 429...). A claim whose
process died is taken over by a retry of the same request after the lease (`idempotency_lease_seconds`).
Either way the key stays with its request (another request with it is 422) and keeps the time it was first
claimed.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from cryptography.fernet import InvalidToken
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.clock import Clock
from gateway.inbound.sealing import Sealer
from services.http import PROBLEM_MEDIA_TYPE, Problem
from services.request_keys import RequestKey

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
_HEADER = b"idempotency-key"
_REPLAYED = (b"idempotent-replayed", b"true")
_VALID_KEY = re.compile(rb"^[\x20-\x7e]{1,255}$")
# Headers a replay gives back: the rest (Request-Id, RateLimit...) belongs to the replaying request.
# Api-Version is not kept: the versioning middleware, outside this one, labels every answer, replays too.
_KEPT_HEADERS = frozenset({b"content-type", b"location", b"etag"})
# Answers that may turn out differently on a retry: not stored, the key is free again.
_RETRYABLE = frozenset({401, 403, 408, 409, 423, 425, 429})
# POSTs that deduplicate on their own (the token endpoint, signed inbound webhooks) or are not under /v1.
_EXEMPT_PREFIXES = ("/v1/oauth/token", "/v1/webhooks/")

TTL = timedelta(days=7)
SEALING_LABEL = b"smartfr gateway idempotency answers v1"
PURGE_EVERY = timedelta(hours=1)
FIRST_PURGE_AFTER = timedelta(minutes=1)


_current_request_key: contextvars.ContextVar[RequestKey | None] = contextvars.ContextVar(
    "gateway_request_key", default=None
)


def current_request_key() -> RequestKey | None:
    """The key of the claimed POST being served, for the calls it makes to the services."""
    return _current_request_key.get()


def requires_key(method: str, path: str) -> bool:
    return method == "POST" and path.startswith("/v1/") and not path.startswith(_EXEMPT_PREFIXES)


def _is_a_route(scope: Scope) -> bool:
    """Whether a route takes this POST: an unknown path or method is the router's 404 or 405, not ours."""
    return any(route.matches(scope)[0] is Match.FULL for route in scope["app"].router.routes)


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> bytes:
    digest = hashlib.sha256(f"{method}\n{path}\n".encode())
    digest.update(query)
    digest.update(b"\n")
    digest.update(body)
    return digest.digest()


@dataclass(frozen=True, slots=True)
class Claimed:
    token: uuid.UUID
    first_claimed_at: datetime  # kept when a retry takes over a dead claim: the ids minted stay the same


@dataclass(frozen=True, slots=True)
class Stored:
    fingerprint: bytes
    status: int | None  # None while the first request runs
    headers: list[tuple[str, str]]
    body: bytes


class KeyStore:
    """The `idempotency_keys` table. Each statement commits on its own: a claim is visible at once."""

    def __init__(self, pool: asyncpg.Pool, sealer: Sealer) -> None:
        self.pool = pool
        self._sealer = sealer

    async def claim(
        self, client_id: str, key: str, print_: bytes, now: datetime, *, ttl: timedelta, lease: timedelta
    ) -> Claimed | Stored:
        token = uuid.uuid4()
        for _ in range(3):
            # Takes a new key, an expired one, or a claim whose holder died (only for the same request).
            row = await self.pool.fetchrow(
                """INSERT INTO idempotency_keys AS k
                       (client_id, key, fingerprint, claim, claimed_at, locked_until, expires_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7)
                   ON CONFLICT (client_id, key) DO UPDATE SET
                       fingerprint = EXCLUDED.fingerprint, claim = EXCLUDED.claim,
                       claimed_at = CASE WHEN k.expires_at <= EXCLUDED.claimed_at
                                         THEN EXCLUDED.claimed_at ELSE k.claimed_at END,
                       locked_until = EXCLUDED.locked_until,
                       expires_at = EXCLUDED.expires_at, status = NULL, headers = NULL, body = NULL
                   WHERE k.expires_at <= EXCLUDED.claimed_at
                      OR (k.status IS NULL AND k.locked_until <= EXCLUDED.claimed_at
                          AND k.fingerprint = EXCLUDED.fingerprint)
                   RETURNING claimed_at""",
                client_id,
                key,
                print_,
                token,
                now,
                now + lease,
                now + ttl,
            )
            if row is not None:
                return Claimed(token, row["claimed_at"])
            row = await self.pool.fetchrow(
                "SELECT fingerprint, status, headers, body FROM idempotency_keys"
                " WHERE client_id = $1 AND key = $2",
                client_id,
                key,
            )
            if row is not None:
                headers = json.loads(row["headers"]) if row["headers"] is not None else []
                kept = [(name, value) for name, value in headers]
                return Stored(row["fingerprint"], row["status"], kept, self._open(row["body"]))
            # Purged between our two statements: claim again.
        raise RuntimeError("idempotency key claimed and purged repeatedly")

    async def complete(
        self,
        client_id: str,
        key: str,
        claim: Claimed,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> None:
        await self.pool.execute(
            "UPDATE idempotency_keys SET status = $4, headers = $5, body = $6"
            " WHERE client_id = $1 AND key = $2 AND claim = $3",
            client_id,
            key,
            claim.token,
            status,
            json.dumps(headers),
            self._sealer.seal(body),
        )

    def _open(self, body: bytes | None) -> bytes:
        if body is None:  # still running
            return b""
        try:
            return self._sealer.open(body)
        except InvalidToken:  # kept before answers were sealed (they expire within 7 days)
            return body

    async def release(self, client_id: str, key: str, claim: Claimed) -> None:
        """Free the claim for a retry of the same request, at once (not after the lease)."""
        await self.pool.execute(
            "UPDATE idempotency_keys SET locked_until = '-infinity'"
            " WHERE client_id = $1 AND key = $2 AND claim = $3",
            client_id,
            key,
            claim.token,
        )

    async def purge(self, now: datetime) -> int:
        """Drop the keys expired at `now`; returns how many."""
        purged: int = await self.pool.fetchval("SELECT purge_idempotency_keys($1)", now)
        return purged


class IdempotencyMiddleware:
    """Pure ASGI; only POSTs under /v1 by an identified client pay for it (anonymous ones get 401 later)."""

    def __init__(
        self, app: ASGIApp, *, clock: Clock, ttl: timedelta = TTL, lease: timedelta | None = None
    ) -> None:
        self.app = app
        self.clock = clock
        self.ttl = ttl
        self.lease = lease
        self._store: KeyStore | None = None
        self._next_purge: datetime | None = None
        self._purging: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not requires_key(scope["method"], scope["path"])
            or not _is_a_route(scope)
        ):
            await self.app(scope, receive, send)
            return
        state = scope.get("state")
        client = state.get("api_client") if state else None
        if client is None:
            await self.app(scope, receive, send)
            return
        raw_key = next((value for name, value in scope["headers"] if name == _HEADER), None)
        if raw_key is None:
            await _problem(400, "idempotency_key_required", f"Send an {HEADER} header with every POST.")(
                scope, receive, send
            )
            return
        if not _VALID_KEY.match(raw_key):
            await _problem(
                400, "idempotency_key_invalid", f"An {HEADER} is 1 to 255 printable ASCII characters."
            )(scope, receive, send)
            return
        key = raw_key.decode("ascii")
        body, receive = await _read_body(receive)
        print_ = fingerprint(scope["method"], scope["path"], scope.get("query_string", b""), body)
        store = self._store_for(scope)
        now = self.clock.now()
        self._maybe_purge(store, now)
        found = await store.claim(client.client_id, key, print_, now, ttl=self.ttl, lease=self._lease(scope))
        if isinstance(found, Stored):
            await self._answer_stored(found, print_, scope, receive, send)
            return
        await self._run_first(store, client.client_id, key, found, scope, receive, send)

    async def _answer_stored(
        self, stored: Stored, print_: bytes, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if stored.fingerprint != print_:
            respond = _problem(
                422,
                "idempotency_key_reused",
                f"This {HEADER} was used with another request; use a new key for a new request.",
            )
        elif stored.status is None:
            respond = _problem(
                409,
                "idempotency_key_in_flight",
                f"A request with this {HEADER} is still running; retry once it has answered.",
            )
        else:
            await _replay(stored, send)
            return
        await respond(scope, receive, send)

    async def _run_first(
        self,
        store: KeyStore,
        client_id: str,
        key: str,
        claim: Claimed,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        # The answer is held until it is stored: once the client has it, a retry replays it.
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        done = False
        digest = hashlib.sha256(f"{client_id}\n{key}".encode()).digest()
        first_claimed_ms = int(claim.first_claimed_at.timestamp() * 1000)
        passed_on = _current_request_key.set(RequestKey(first_claimed_ms, digest))
        try:
            await self.app(scope, receive, capture)
            if start is None:
                raise RuntimeError("the app returned without answering")
            status: int = start["status"]
            body = b"".join(chunks)
            if status < 500 and status not in _RETRYABLE:
                kept = [
                    (name.decode("latin-1"), value.decode("latin-1"))
                    for name, value in start.get("headers", ())
                    if name.lower() in _KEPT_HEADERS
                ]
                await store.complete(client_id, key, claim, status, kept, body)
                done = True
        finally:
            _current_request_key.reset(passed_on)
            if not done:
                # Shielded: a cancelled request must still free its key.
                await asyncio.shield(store.release(client_id, key, claim))
        headers = [(n, v) for n, v in start.get("headers", ()) if n.lower() != b"content-length"]
        await send({"type": "http.response.start", "status": status, "headers": headers + _length(body)})
        await send({"type": "http.response.body", "body": body})

    def _lease(self, scope: Scope) -> timedelta:
        if self.lease is not None:
            return self.lease
        seconds: float = scope["app"].state.resources.settings.idempotency_lease_seconds
        return timedelta(seconds=seconds)

    def _store_for(self, scope: Scope) -> KeyStore:
        # Made again when the runtime restarted with a new pool.
        resources = scope["app"].state.resources
        pool = resources.pool
        if self._store is None or self._store.pool is not pool:
            key = resources.settings.secrets_encryption_key.get_secret_value()
            self._store = KeyStore(pool, Sealer(key, label=SEALING_LABEL))
        return self._store

    def _maybe_purge(self, store: KeyStore, now: datetime) -> None:
        """Expired keys are dropped at most once an hour, beside the requests (they are never read)."""
        if self._next_purge is None:
            self._next_purge = now + FIRST_PURGE_AFTER
            return
        if now < self._next_purge or (self._purging is not None and not self._purging.done()):
            return
        self._next_purge = now + PURGE_EVERY
        self._purging = asyncio.get_running_loop().create_task(_purge(store, now))


async def _purge(store: KeyStore, now: datetime) -> None:
    try:
        purged = await store.purge(now)
    except Exception:
        log.exception("purging expired idempotency keys failed; next try in an hour")
        return
    if purged:
        log.info("purged %d expired idempotency keys", purged)


def _problem(status: int, code: str, detail: str) -> Any:
    return Problem(status, code, detail=detail, param=HEADER).response()


def _length(body: bytes) -> list[tuple[bytes, bytes]]:
    return [(b"content-length", str(len(body)).encode())]


async def _replay(stored: Stored, send: Send) -> None:
    assert stored.status is not None
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in stored.headers]
    headers += [_REPLAYED, *_length(stored.body)]
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body})


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body (the chassis has already bounded its size), and a receive that replays it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            body = b"".join(chunks)
            pending: Message | None = message
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            body, pending = b"".join(chunks), None
            break
    first: Message | None = {"type": "http.request", "body": body, "more_body": False}

    async def replay() -> Message:
        nonlocal first, pending
        if first is not None:
            message, first = first, None
            return message
        if pending is not None:
            message, pending = pending, None
            return message
        return await receive()

    return body, replay


def amend_openapi(document: dict[str, Any]) -> None:
    """The POSTs that need a key: the header, and the 409 and 422 it may bring."""
    parameter = {
        "name": HEADER,
        "in": "header",
        "required": True,
        "description": "A key you choose for this request (a UUID is fine): a retry with the same key and "
        "the same request answers what the first answered, for 7 days.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
    }
    problem = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
    answers = {
        "400": "Invalid request, or `idempotency_key_required` / `idempotency_key_invalid`.",
        "409": "`idempotency_key_in_flight`: the first request with this key is still running.",
        "422": "`idempotency_key_reused`: this key was used with another request.",
    }
    for path, item in document.get("paths", {}).items():
        operation = item.get("post")
        if not isinstance(operation, dict) or not requires_key("POST", path):
            continue
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == HEADER for p in parameters):
            parameters.append(parameter)
        responses = operation.setdefault("responses", {})
        for status, description in answers.items():
            responses.setdefault(status, {"description": description, "content": problem})
