"""ETag and If-Match on event-sourced resources: the ETag is the stream's version.

A command run with `If-Match` appends only at that version; the store's `ConcurrencyConflict` then means the
caller's copy is stale (412), whereas without `If-Match` it means a true race (409, the chassis's mapping).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from services.eventstore.errors import ConcurrencyConflict
from services.http.problems import Problem

HEADER = "If-Match"


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int | None:
    """`If-Match: "3"` (an ETag this API gave) -> 3; absent -> None; else a 400 naming the header."""
    if if_match is None:
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        detail = 'If-Match takes the ETag a read gave, e.g. "3"'
        raise Problem(400, "invalid_if_match", detail=detail, param=HEADER)
    return int(value)


@contextmanager
def precondition(expected: int | None, what: str) -> Iterator[None]:
    """Around a command run at `expected`: a conflict is 412 when the caller named a version."""
    try:
        yield
    except ConcurrencyConflict as conflict:
        if expected is None:
            raise
        detail = f"the {what} is at version {conflict.actual_version}"
        raise Problem(412, "precondition_failed", detail=detail, param=HEADER) from conflict
