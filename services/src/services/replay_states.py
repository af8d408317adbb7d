"""Aggregate states during a replay, for an inline projection (ADR 028) whose rows come from an aggregate's
state rather than from one event alone."""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

from services.decider import Decider, EventCodec
from services.eventstore.store import EventStore
from services.eventstore.types import RecordedEvent
from services.log_reader import Conn

C = TypeVar("C")
E = TypeVar("E")
S = TypeVar("S")


class StreamStates(Generic[C, E, S]):
    """Each stream's state after the event being replayed: evolved from the one kept for the stream's
    previous event, or folded from the stream as stored (its first event, a batch replayed again, or one
    forgotten: at most `kept` streams are remembered)."""

    def __init__(
        self, store: EventStore, decider: Decider[C, E, S], codec: EventCodec[E], *, kept: int = 10_000
    ) -> None:
        self._store, self._decider, self._codec, self._most = store, decider, codec, kept
        self._kept: OrderedDict[tuple[str, str], tuple[int, S]] = OrderedDict()

    async def after(self, conn: Conn, event: RecordedEvent) -> tuple[E, S]:
        """The event decoded, and its stream's state after it."""
        decoded = self._codec.decode(event)
        key = (event.tenant, event.stream_id)
        kept = self._kept.pop(key, None)
        if kept is not None and kept[0] == event.stream_version - 1:
            state = self._decider.evolve(kept[1], decoded)
        else:
            stored = await self._store.read_stream(event.stream_id, tenant=event.tenant, conn=conn)
            state = self._decider.fold(
                self._codec.decode(e) for e in stored if e.stream_version <= event.stream_version
            )
        self._kept[key] = (event.stream_version, state)
        if len(self._kept) > self._most:
            self._kept.popitem(last=False)
        return decoded, state

    def clear(self) -> None:
        self._kept.clear()
