"""Given events, when a command, then events (or an error): behaviour tests for deciders, pure and fast.

spec = Spec(door_decider, codec=door_codec)      # codec optional: also round-trips every event
spec.given(DoorInstalled(), DoorOpened()).when(CloseDoor()).then(DoorClosed())
spec.given().when(OpenDoor()).then_raises(DoorNotInstalled, match="not installed")
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from services.decider import Decider, EventCodec

C = TypeVar("C")
E = TypeVar("E")
S = TypeVar("S")
X = TypeVar("X", bound=BaseException)


@dataclass(frozen=True)
class Spec(Generic[C, E, S]):
    decider: Decider[C, E, S]
    codec: EventCodec[E] | None = None

    def given(self, *events: E) -> Given[C, E, S]:
        return Given(self, tuple(events))


@dataclass(frozen=True)
class Given(Generic[C, E, S]):
    spec: Spec[C, E, S]
    events: tuple[E, ...]

    def when(self, command: C) -> When[C, E, S]:
        return When(self.spec, self.events, command)


@dataclass(frozen=True)
class When(Generic[C, E, S]):
    spec: Spec[C, E, S]
    history: tuple[E, ...]
    command: C

    def _given_state(self) -> S:
        return self.spec.decider.fold(self._round_trip(e) for e in self.history)

    def then(self, *expected: E) -> S:
        """Assert the decided events equal `expected` (none: the command changes nothing).

        Returns the state after them, folded with the decider's own `evolve`, for further checks.
        """
        state = self._given_state()
        decided = list(self.spec.decider.decide(self.command, state))
        if decided != list(expected):
            raise AssertionError(
                f"when {self.command!r}\n"
                f"expected events:\n{_listing(expected)}\n"
                f"decided events:\n{_listing(decided)}"
            )
        return self.spec.decider.fold_from(state, (self._round_trip(e) for e in decided))

    def then_raises(self, error: type[X], *, match: str | None = None) -> X:
        """Assert `decide` refuses the command with `error` (whose message matches the regex `match`)."""
        state = self._given_state()  # outside the try: a failing evolve is not the refusal we look for
        try:
            decided = list(self.spec.decider.decide(self.command, state))
        except error as raised:
            if match is not None and not re.search(match, str(raised)):
                raise AssertionError(
                    f"{type(raised).__name__}({raised!s}) does not match {match!r}"
                ) from raised
            return raised
        raise AssertionError(
            f"when {self.command!r}\nexpected {error.__name__}, but decided events:\n{_listing(decided)}"
        )

    def _round_trip(self, event: E) -> E:
        """Through the codec, if any: an event that does not survive storage fails the spec here."""
        codec = self.spec.codec
        if codec is None:
            return event
        new = codec.encode(event)
        back = codec.decode_data(new.event_type, new.schema_version, new.data)
        if back != event:
            raise AssertionError(f"{event!r} does not survive the codec: read back as {back!r}")
        return back


def _listing(events: Sequence[Any]) -> str:
    return "\n".join(f"  {e!r}" for e in events) if events else "  (none)"
