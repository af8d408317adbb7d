"""The gateway's in-process cache of single-resource reads, and what keeps it correct (ADR 007).

An entry is what the service answered (status, the passed headers, body) to one key: (tenant, path, normalized
query, Api-Version). Entries are indexed by *tokens*: their path (`p:/v1/members/<id>`) and each id-looking
segment of it (`i:<id>`), so that a write on a path (its own path and its parents) or an event naming an id
drops every entry it may have changed.

Three guards keep a stale answer out:

* the race guard: every invalidation moves a global epoch and marks its tokens with it; a read remembers the
  epoch when it started and does not store its answer if one of its tokens was marked since (the answer may
  predate the change);
* version floors: the services answer reads from projections that may lag the command. A write's answer and
  a bus event say which version of an aggregate exists (the write's ETag, the event's stream version); an
  answer with an older ETag for an id under a floor is served but not stored;
* a bound (LRU) and a TTL, as a safety net for changes nobody announces.

Everything runs on the event loop's thread: no locks.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# tenant, path, normalized query, Api-Version
Key = tuple[str, str, bytes, str]

# An id in a path or an event: a UUID (the ids the services give) in any case.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_ETAG_VERSION = re.compile(r'^(?:W/)?"(\d+)"$')
# A read slower than this is not stored: the marks it would be checked against may have been forgotten.
MARK_HORIZON_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Entry:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    etag: bytes
    scopes: frozenset[str]  # what the route requires: checked again on every hit
    tokens: tuple[str, ...]
    expires_at: float


def path_token(path: str) -> str:
    return "p:" + path.lower().rstrip("/")


def id_token(value: str) -> str:
    return "i:" + value.lower()


def ids_in(text: str) -> list[str]:
    return _UUID.findall(text)


def tokens_of(path: str) -> tuple[str, ...]:
    """An entry's tokens: its path and the ids in it."""
    return (path_token(path), *(id_token(found) for found in ids_in(path)))


def written_tokens(path: str) -> list[str]:
    """What a write on `path` may change: the path, its parents up to the version prefix, the ids in it."""
    segments = path.rstrip("/").split("/")
    parents = ["/".join(segments[:n]) for n in range(len(segments), 2, -1)]  # down to /v1/<collection>
    return [*(path_token(p) for p in parents), *(id_token(found) for found in ids_in(path))]


def etag_version(etag: bytes | str | None) -> int | None:
    """`"3"` -> 3: the ETag of an event-sourced resource is its stream's version; anything else -> None."""
    if etag is None:
        return None
    text = etag.decode("latin-1") if isinstance(etag, bytes) else etag
    found = _ETAG_VERSION.match(text.strip())
    return int(found.group(1)) if found else None


class ReadCache:
    """Entries by key, with an index by token, marks for the race guard and floors by id."""

    def __init__(
        self,
        *,
        enabled: bool = True,
        max_entries: int = 10_000,
        ttl_seconds: float = 10.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.now = now
        self.configure(enabled=enabled, max_entries=max_entries, ttl_seconds=ttl_seconds)
        # How many reads were answered from here, and how many invalidations ran: figures for tests and ops.
        self.hits = 0
        self.invalidations = 0
        self._changed: asyncio.Condition | None = None

    def configure(self, *, enabled: bool, max_entries: int, ttl_seconds: float) -> None:
        """(Re)start empty with these settings: called when the runtime starts."""
        if max_entries < 1 or ttl_seconds < 0:
            raise ValueError("the read cache needs at least one entry and a TTL of zero or more")
        self.configured = enabled and ttl_seconds > 0
        # Whether this process consumes the bus's events for it (`bus.invalidation_consumer`): an API-only
        # replica (`serve --role api`) runs no consumer, and a cache nobody invalidates would stay stale.
        self.listening = False
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        self._by_token: dict[str, set[Key]] = {}
        self._epoch = 0
        self._marks: dict[str, tuple[int, float]] = {}  # token -> (epoch of its last invalidation, when)
        self._floors: dict[str, tuple[int, float]] = {}  # id token -> (version known to exist, until)
        self._next_sweep = 0.0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def enabled(self) -> bool:
        return self.configured and self.listening

    @property
    def epoch(self) -> int:
        """What a read remembers when it starts (see `store`)."""
        return self._epoch

    # Reads.

    def get(self, key: Key) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self.now():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def store(self, key: Key, entry: Entry, *, started_at_epoch: int, started_at: float) -> bool:
        """Keep `entry` unless something it may depend on was invalidated since the read started, or a
        newer version than its ETag is known to exist. Returns whether it was kept."""
        now = self.now()
        if now - started_at > MARK_HORIZON_SECONDS:
            return False
        for token in entry.tokens:
            mark = self._marks.get(token)
            if mark is not None and mark[0] > started_at_epoch:
                return False
        version = etag_version(entry.etag)
        for token in entry.tokens:
            floor = self._floors.get(token)
            if floor is not None and floor[1] > now and (version is None or version < floor[0]):
                return False
        if key in self._entries:
            self._drop(key)
        self._entries[key] = entry
        for token in entry.tokens:
            self._by_token.setdefault(token, set()).add(key)
        while len(self._entries) > self.max_entries:
            self._drop(next(iter(self._entries)))
        return True

    # Invalidation.

    def invalidate(self, tokens: Iterable[str], *, floors: Iterable[tuple[str, int]] = ()) -> int:
        """Drop every entry under `tokens`, mark them for reads in flight, and raise the floors given
        (id token, version). Returns how many entries were dropped."""
        now = self.now()
        self._epoch += 1
        dropped = 0
        for token in tokens:
            self._marks[token] = (self._epoch, now)
            for key in list(self._by_token.get(token, ())):
                self._drop(key)
                dropped += 1
        until = now + self.ttl_seconds
        for token, version in floors:
            known = self._floors.get(token)
            if known is None or known[1] <= now or known[0] < version:
                self._floors[token] = (version, until)
        self._forget_old(now)
        self.invalidations += 1
        self._notify()
        return dropped

    def _drop(self, key: Key) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        for token in entry.tokens:
            keys = self._by_token.get(token)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_token[token]

    def _forget_old(self, now: float) -> None:
        """Marks older than any read in flight and expired floors go, at most once a second."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + 1.0
        self._marks = {t: m for t, m in self._marks.items() if now - m[1] <= MARK_HORIZON_SECONDS}
        self._floors = {t: f for t, f in self._floors.items() if f[1] > now}

    # Waiting (tests, and whoever must know an invalidation has run).

    def _notify(self) -> None:
        if self._changed is not None:
            changed = self._changed

            async def notify() -> None:
                async with changed:
                    changed.notify_all()

            asyncio.get_running_loop().create_task(notify())

    async def until_marked(self, token: str, *, after_epoch: int) -> None:
        """Returns once `token` has been invalidated after `after_epoch` (an `epoch` read earlier)."""
        if self._changed is None:
            self._changed = asyncio.Condition()
        async with self._changed:
            await self._changed.wait_for(lambda: self._marks.get(token, (0, 0.0))[0] > after_epoch)
