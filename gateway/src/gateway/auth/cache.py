"""A small in-process cache with a time to live and a bound on its size."""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from typing import Final, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Missing(enum.Enum):
    MISSING = 0


MISSING: Final = Missing.MISSING


class TtlCache(Generic[K, V]):
    """Entries live `ttl` seconds; past `max_entries` the oldest go first (a flood of unknown credentials
    costs memory no more than that)."""

    def __init__(
        self, ttl: float, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._entries: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | Missing:
        """The value, or `MISSING` (values may be None: a credential known to be bad is cached too)."""
        entry = self._entries.get(key)
        if entry is None:
            return MISSING
        if entry[0] <= self._clock():
            del self._entries[key]
            return MISSING
        return entry[1]

    def put(self, key: K, value: V, ttl: float | None = None) -> None:
        if self._ttl <= 0 and ttl is None:
            return
        if len(self._entries) >= self._max:
            for old in list(self._entries)[: max(1, self._max // 10)]:
                del self._entries[old]
        self._entries[key] = (self._clock() + (self._ttl if ttl is None else ttl), value)

    def clear(self) -> None:
        self._entries.clear()
