"""Cursor pagination: `limit` 1-100, an opaque `cursor`, and pages that say `has_more` and `next_cursor`.

A cursor is base64url JSON of the last item's sort key; callers must treat it as opaque, and a cursor that
does not decode is a 400 naming `cursor`, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, Literal, TypeVar
from uuid import UUID

from fastapi import Query
from pydantic import BaseModel

from services.http import Problem

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=100, description="How many items a page holds, 1 to 100.")]
Cursor = Annotated[
    str | None,
    Query(max_length=512, description="The `next_cursor` of the previous page; absent for the first."),
]
_NOT_OURS = "the cursor is not one this API gave"


class Page(BaseModel, Generic[T]):
    object: Literal["list"] = "list"
    data: list[T]
    has_more: bool
    next_cursor: str | None


def encode_cursor(key: dict[str, Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise Problem(400, "invalid_cursor", detail=_NOT_OURS, param="cursor") from None
    if not isinstance(key, dict):
        raise Problem(400, "invalid_cursor", detail=_NOT_OURS, param="cursor")
    return key


def uuid_after(cursor: str | None) -> UUID | None:
    """The id a page of id-ordered items starts after (`{"after": id}` cursors)."""
    if cursor is None:
        return None
    try:
        return UUID(str(decode_cursor(cursor).get("after")))
    except ValueError:
        raise Problem(400, "invalid_cursor", detail=_NOT_OURS, param="cursor") from None


def page_of(
    items: Sequence[T], limit: int, key_of: Callable[[T], dict[str, Any]]
) -> tuple[list[T], bool, str | None]:
    """`items` fetched with `limit + 1`: the page, whether more follow, and the cursor after the page."""
    has_more = len(items) > limit
    page = list(items[:limit])
    next_cursor = encode_cursor(key_of(page[-1])) if has_more and page else None
    return page, has_more, next_cursor
