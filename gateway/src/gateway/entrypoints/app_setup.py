"""What the gateway adds to the chassis's app: its own middleware, inside the chassis's.

See `services.http.add_inner_middleware`. Outer first: who calls, rate limits, versions, the refusal of
anonymous calls, idempotency, the read cache.
"""

from __future__ import annotations

from fastapi import FastAPI

from gateway.auth.middleware import CallerMiddleware, RefuseAnonymousMiddleware
from gateway.clock import clock_of
from gateway.idempotency import IdempotencyMiddleware
from gateway.rate_limit import RateLimitMiddleware
from gateway.read_cache.asgi import ReadCacheMiddleware
from gateway.read_cache.store import ReadCache
from gateway.versioning import VersioningMiddleware, document_conventions
from services.http import add_inner_middleware


def configure(app: FastAPI, read_cache: ReadCache | None = None) -> None:
    """Each mechanism of the gateway registers here, one line each, in the order requests pass through."""
    if read_cache is None:  # (an empty cache is falsy: it has a length)
        read_cache = ReadCache()
    read_cache.now = clock_of(app).monotonic  # tests move the app's clock rather than wait for a TTL
    app.state.read_cache = read_cache
    add_inner_middleware(app, CallerMiddleware)
    add_inner_middleware(app, RateLimitMiddleware, clock=clock_of(app))
    add_inner_middleware(app, VersioningMiddleware)
    add_inner_middleware(app, RefuseAnonymousMiddleware)
    # Innermost: a replay is an answer like any other, after the checks every request passes.
    add_inner_middleware(app, IdempotencyMiddleware, clock=clock_of(app))
    # After the scope checks' inputs are known; a hit skips routing and the service (ADR 007).
    add_inner_middleware(app, ReadCacheMiddleware, cache=read_cache)
    document_conventions(app)
