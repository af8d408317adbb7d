"""Identifiers."""

from __future__ import annotations

from uuid import UUID

from uuid6 import uuid7


def new_event_id() -> UUID:
    """A UUIDv7: time-ordered, so event ids index well and sort roughly by creation."""
    return UUID(int=uuid7().int)
