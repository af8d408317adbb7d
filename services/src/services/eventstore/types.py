"""What goes into and comes out of the event store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True, order=True)
class LogPosition:
    """A place in a commit-ordered log: the writing transaction's id (xid8), then the row's position in it.

    Rows are read in (tx_id, position) order and only below the oldest transaction still running, so a
    transaction that commits late with a smaller position is never skipped.
    """

    tx_id: int
    position: int

    @classmethod
    def start(cls) -> LogPosition:
        return cls(0, 0)


@dataclass(frozen=True)
class NewEvent:
    """A private event about to be stored. `event_type` is explicit and stable (`MemberApplied`)."""

    event_type: str
    data: dict[str, Any]
    schema_version: int = 1
    event_id: UUID | None = None  # a UUIDv7 is made when None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedEvent:
    global_position: int
    tx_id: int
    stream_id: str
    stream_version: int
    event_id: UUID
    event_type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    tenant: str
    recorded_at: datetime

    @property
    def log_position(self) -> LogPosition:
        return LogPosition(self.tx_id, self.global_position)
