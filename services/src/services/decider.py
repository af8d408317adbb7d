"""Deciders and event codecs: the pure shape of an aggregate, and the seam to the event store.

A domain writes `decide(command, state) -> events` and `evolve(state, event) -> state` over its own event
objects (pydantic models or dataclasses), and registers those classes under explicit, stable names in an
`EventCodec`. Nothing here does I/O: the command loop (services.command_loop) does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

from pydantic import TypeAdapter

from services.eventstore.types import NewEvent, RecordedEvent

C = TypeVar("C")
E = TypeVar("E")
S = TypeVar("S")

# Moves an event's data from schema version v to v + 1.
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Decider(Generic[C, E, S]):
    """An aggregate as three pure parts. `decide` raises the domain's errors to refuse a command."""

    decide: Callable[[C, S], Sequence[E]]
    evolve: Callable[[S, E], S]
    initial_state: S

    def fold(self, events: Iterable[E]) -> S:
        """The state after `events`, from the initial state."""
        return self.fold_from(self.initial_state, events)

    def fold_from(self, state: S, events: Iterable[E]) -> S:
        for event in events:
            state = self.evolve(state, event)
        return state


def in_turn(decider: Decider[C, E, S]) -> Decider[Sequence[C], E, S]:
    """`decider` over a sequence of commands, each decided on the state the ones before it made: their events
    are appended together (one statement, one commit). A refusal of any refuses them all."""

    def decide(commands: Sequence[C], state: S) -> list[E]:
        events: list[E] = []
        for command in commands:
            decided = decider.decide(command, state)
            events.extend(decided)
            state = decider.fold_from(state, decided)
        return events

    return Decider(decide, decider.evolve, decider.initial_state)


class UnknownEventType(LookupError):
    """A stored event whose name (or schema version) this codec cannot read."""


class EventCodec(Generic[E]):
    """Event objects <-> stored events, by explicit names.

    `types` maps each stable name to its class; `versions` gives a type's current schema version (1 if
    not said); `upcasters[(name, v)]` turns stored data of version v into v + 1, chained on read.
    """

    def __init__(
        self,
        types: Mapping[str, type[E]],
        *,
        versions: Mapping[str, int] | None = None,
        upcasters: Mapping[tuple[str, int], Upcaster] | None = None,
    ) -> None:
        self._classes = dict(types)
        self._names: dict[type[Any], str] = {}
        for name, cls in types.items():
            if cls in self._names:
                raise ValueError(f"{cls.__name__} is registered as {self._names[cls]!r} and {name!r}")
            self._names[cls] = name
        self._versions = dict(versions or {})
        self._upcasters = dict(upcasters or {})
        unknown = (set(self._versions) | {name for name, _ in self._upcasters}) - set(self._classes)
        if unknown:
            raise ValueError(f"versions or upcasters for unregistered event types: {sorted(unknown)}")
        self._adapters: dict[str, TypeAdapter[Any]] = {name: TypeAdapter(cls) for name, cls in types.items()}

    def knows(self, event_type: str) -> bool:
        """Whether `event_type` is one of this codec's (a service's log holds several aggregates' events)."""
        return event_type in self._classes

    def name_of(self, event: E) -> str:
        try:
            return self._names[type(event)]
        except KeyError:
            raise UnknownEventType(f"{type(event).__name__} is not registered in this codec") from None

    def schema_version(self, event_type: str) -> int:
        return self._versions.get(event_type, 1)

    def encode(self, event: E, *, event_id: UUID | None = None) -> NewEvent:
        name = self.name_of(event)
        data = self._adapters[name].dump_python(event, mode="json")
        return NewEvent(
            event_type=name, data=data, schema_version=self.schema_version(name), event_id=event_id
        )

    def decode(self, recorded: RecordedEvent) -> E:
        return self.decode_data(recorded.event_type, recorded.schema_version, recorded.data)

    def decode_data(self, event_type: str, schema_version: int, data: dict[str, Any]) -> E:
        adapter = self._adapters.get(event_type)
        if adapter is None:
            raise UnknownEventType(f"no event type {event_type!r} in this codec")
        current = self.schema_version(event_type)
        if schema_version > current:
            raise UnknownEventType(f"{event_type} v{schema_version} is newer than this code (v{current})")
        for version in range(schema_version, current):
            upcast = self._upcasters.get((event_type, version))
            if upcast is None:
                raise UnknownEventType(f"no upcaster for {event_type} v{version} -> v{version + 1}")
            data = upcast(data)
        event: E = adapter.validate_python(data)
        return event
