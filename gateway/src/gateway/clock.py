"""The gateway's clock: one per app, shared by its middlewares, moved by tests instead of sleeping."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI


class Clock:
    """Wall time (UTC) and monotonic time, both shifted by the same settable offset."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._offset_seconds = 0.0

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def monotonic(self) -> float:
        return time.monotonic() + self._offset_seconds

    def advance(self, by: timedelta) -> None:
        self._offset += by
        self._offset_seconds = self._offset.total_seconds()


def clock_of(app: FastAPI) -> Clock:
    """The app's clock (`app.state.clock`), made on first use."""
    clock = getattr(app.state, "clock", None)
    if not isinstance(clock, Clock):
        clock = app.state.clock = Clock()
    return clock
