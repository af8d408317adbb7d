"""The explicit opt-in of a route into the read cache: `@cached_read` under the route's decorator.

A route is cached only if it says so: a new route (personal data read with an access log, say) is never
answered from the cache by accident. Mark only GETs of one resource whose ETag is the version of the
aggregate its path names (ADR 007).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])

_MARK = "__gateway_read_cache__"


def cached_read(endpoint: Endpoint) -> Endpoint:
    """Marks a route's endpoint as answerable from the gateway's read cache.

    @router.get("/{member_id}", ...)
    @cached_read
    async def read_member(...): ...
    """
    setattr(endpoint, _MARK, True)
    return endpoint


def is_cached_read(route: object) -> bool:
    return getattr(getattr(route, "endpoint", None), _MARK, False) is True
