"""Rate limits per API client (per remote address for anonymous callers): GCRA, in process.

The state is a dict of theoretical arrival times in this process: one gateway process is what we run, and the
limit costs no I/O on the hot path. Several gateway replicas would each apply the whole limit (N replicas let
N times the quota through); moving `Gcra` onto PostgreSQL or Redis would then be the change.

Every answer carries the IETF draft's headers (draft-ietf-httpapi-ratelimit-headers, structured fields):
`RateLimit-Policy: "default";q=100;w=10` and `RateLimit: "default";r=42;t=3` (`r` requests left now, `t`
seconds until the whole quota is back); a refused call is a 429 `rate_limited` problem with `Retry-After`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.clock import Clock
from gateway.config import Settings
from services.http import PROBLEM_MEDIA_TYPE, Problem

# Probes and metrics are scraped by the platform from a few addresses: they are never limited.
_EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_POLICY_HEADER = b"ratelimit-policy"
_STATE_HEADER = b"ratelimit"


@dataclass(frozen=True)
class Policy:
    """`quota` requests per `window` seconds, all of them usable at once (a burst of `quota`)."""

    name: str
    quota: int
    window: float

    def __post_init__(self) -> None:
        if self.quota < 1 or self.window <= 0:
            raise ValueError("a policy needs a quota of at least 1 and a positive window")

    def header(self) -> str:
        return f'"{self.name}";q={self.quota};w={_number(self.window)}'


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    remaining: int  # requests that would be let through right now
    reset: float  # seconds until the whole quota is available again
    retry_after: float  # seconds until the next request is let through (0 when allowed)


class Gcra:
    """The generic cell rate algorithm: one timestamp per key (its theoretical arrival time, TAT).

    A request is let through when it does not arrive earlier than TAT - window; each one let through pushes
    the TAT by window / quota. Times are seconds on a monotonic clock, passed in (tests move them).
    """

    def __init__(self, policy: Policy, *, sweep_above: int = 10_000) -> None:
        self.policy = policy
        self._interval = policy.window / policy.quota
        self._tat: dict[str, float] = {}
        self._sweep_above = sweep_above
        self._next_sweep = sweep_above

    def check(self, key: str, now: float) -> Decision:
        window, interval = self.policy.window, self._interval
        tat = max(self._tat.get(key, now), now)
        new_tat = tat + interval
        allow_at = new_tat - window
        if now < allow_at:
            return Decision(False, 0, tat - now, allow_at - now)
        self._tat[key] = new_tat
        if len(self._tat) > self._next_sweep:
            self._sweep(now)
        # The epsilon absorbs float error: 10 s / 100 requests is not exact in binary.
        remaining = math.floor((window - (new_tat - now)) / interval + 1e-9)
        return Decision(True, remaining, new_tat - now, 0.0)

    def __len__(self) -> int:
        return len(self._tat)

    def _sweep(self, now: float) -> None:
        """Forget keys whose quota is whole again (a TAT in the past is the same as no entry)."""
        self._tat = {key: tat for key, tat in self._tat.items() if tat > now}
        self._next_sweep = max(self._sweep_above, 2 * len(self._tat))


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def _seconds(value: float) -> int:
    """Whole seconds, rounded up: a client that waits this long is let through."""
    return max(0, math.ceil(value - 1e-9))


class RateLimitMiddleware:
    """Pure ASGI; reads the caller from `scope["state"]["api_client"]` (the caller-resolution middleware).

    The policy comes from the gateway's settings (`rate_limit_quota`, `rate_limit_window_seconds`), read on
    the first request (settings live on the app's resources, which exist only once the runtime started).
    """

    def __init__(self, app: ASGIApp, *, clock: Clock, policy: Policy | None = None) -> None:
        self.app = app
        self.clock = clock
        self._limiter = Gcra(policy) if policy is not None else None
        self._policy_header = policy.header().encode() if policy is not None else b""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in _EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        limiter = self._limiter or self._from_settings(scope)
        state = scope.get("state")
        client = state.get("api_client") if state else None
        if client is not None:
            key: str = client.client_id
        else:
            peer = scope.get("client")
            key = "addr:" + (peer[0] if peer else "unknown")
        decision = limiter.check(key, self.clock.monotonic())
        name = limiter.policy.name
        state_header = f'"{name}";r={decision.remaining};t={_seconds(decision.reset)}'.encode()
        headers = [(_POLICY_HEADER, self._policy_header), (_STATE_HEADER, state_header)]
        if not decision.allowed:
            retry_after = max(1, _seconds(decision.retry_after))
            problem = Problem(
                429,
                "rate_limited",
                detail=f"Too many requests; retry in {retry_after} s.",
                headers={
                    "Retry-After": str(retry_after),
                    "RateLimit-Policy": self._policy_header.decode(),
                    "RateLimit": state_header.decode(),
                },
            )
            await problem.response()(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _from_settings(self, scope: Scope) -> Gcra:
        settings: Any = scope["app"].state.resources.settings
        if not isinstance(settings, Settings):
            settings = Settings()
        policy = Policy("default", settings.rate_limit_quota, settings.rate_limit_window_seconds)
        self._limiter = Gcra(policy)
        self._policy_header = policy.header().encode()
        return self._limiter


def amend_openapi(document: dict[str, Any]) -> None:
    """Every /v1 operation may answer 429; say so, with the headers a client should read."""
    text = {"schema": {"type": "string"}}
    too_many = {
        "description": "Too many requests: retry after `Retry-After` seconds (`rate_limited`).",
        "headers": {
            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer", "minimum": 1}},
            "RateLimit-Policy": {"description": 'The quota, e.g. `"default";q=100;w=10`.', **text},
            "RateLimit": {"description": 'What is left, e.g. `"default";r=0;t=10`.', **text},
        },
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
    }
    for path, item in document.get("paths", {}).items():
        if path.startswith("/v1/"):
            for operation in item.values():
                if isinstance(operation, dict):
                    operation.setdefault("responses", {}).setdefault("429", too_many)
