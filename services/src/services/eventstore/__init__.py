"""The event store. `EventStore` is imported lazily: pure code using the types pulls in no I/O library."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.eventstore.errors import ConcurrencyConflict
from services.eventstore.types import LogPosition, NewEvent, RecordedEvent

if TYPE_CHECKING:
    from services.eventstore.store import AppendResult, EventStore

__all__ = ["AppendResult", "ConcurrencyConflict", "EventStore", "LogPosition", "NewEvent", "RecordedEvent"]


def __getattr__(name: str) -> Any:
    if name in ("EventStore", "AppendResult"):
        from services.eventstore import store

        return getattr(store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
