"""The given/when/then helper, exercised on a toy door decider defined here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pytest
from pydantic import BaseModel

from services.decider import Decider, EventCodec
from services.testkit.spec import Spec


class DoorOpened(BaseModel):
    by: str


class DoorClosed(BaseModel):
    pass


DoorEvent = DoorOpened | DoorClosed


@dataclass(frozen=True)
class Open:
    by: str


@dataclass(frozen=True)
class Close:
    pass


class DoorAlreadyOpen(Exception):
    pass


State = Literal["open", "closed"]


def decide(command: Open | Close, state: State) -> list[DoorEvent]:
    match command:
        case Open(by=who):
            if state == "open":
                raise DoorAlreadyOpen(f"the door is already open (asked by {who})")
            return [DoorOpened(by=who)]
        case Close():
            return [DoorClosed()] if state == "open" else []


def evolve(state: State, event: DoorEvent) -> State:
    return "open" if isinstance(event, DoorOpened) else "closed"


door: Decider[Open | Close, DoorEvent, State] = Decider(decide, evolve, "closed")
codec: EventCodec[DoorEvent] = EventCodec({"DoorOpened": DoorOpened, "DoorClosed": DoorClosed})
spec = Spec(door, codec=codec)


def test_a_matching_outcome_passes_and_returns_the_state_after_it() -> None:
    assert spec.given().when(Open(by="ann")).then(DoorOpened(by="ann")) == "open"


def test_history_is_folded_before_deciding() -> None:
    spec.given(DoorOpened(by="ann")).when(Close()).then(DoorClosed())
    spec.given(DoorOpened(by="ann"), DoorClosed()).when(Close()).then()


def test_a_different_outcome_fails_and_lists_both_sides() -> None:
    with pytest.raises(AssertionError, match=r"(?s)expected events:.*by='bob'.*decided events:.*by='ann'"):
        spec.given().when(Open(by="ann")).then(DoorOpened(by="bob"))


def test_expecting_nothing_when_events_are_decided_fails() -> None:
    with pytest.raises(AssertionError, match="decided events"):
        spec.given(DoorOpened(by="ann")).when(Close()).then()


def test_a_refusal_is_caught_and_returned() -> None:
    error = spec.given(DoorOpened(by="ann")).when(Open(by="bob")).then_raises(DoorAlreadyOpen, match="bob")
    assert isinstance(error, DoorAlreadyOpen)


def test_a_refusal_whose_message_does_not_match_fails() -> None:
    with pytest.raises(AssertionError, match="does not match"):
        spec.given(DoorOpened(by="ann")).when(Open(by="bob")).then_raises(DoorAlreadyOpen, match="carol")


def test_expecting_a_refusal_when_events_are_decided_fails() -> None:
    with pytest.raises(AssertionError, match=r"expected DoorAlreadyOpen, but decided events"):
        spec.given().when(Open(by="ann")).then_raises(DoorAlreadyOpen)


def test_another_error_type_is_not_swallowed() -> None:
    with pytest.raises(DoorAlreadyOpen):
        spec.given(DoorOpened(by="ann")).when(Open(by="bob")).then_raises(KeyError)


def test_an_event_the_codec_cannot_store_fails_the_spec() -> None:
    class Unregistered(BaseModel):
        pass

    def evolve_any(state: State, event: object) -> State:
        return state

    loose: Decider[Close, object, State] = Decider(lambda c, s: [Unregistered()], evolve_any, "closed")
    with pytest.raises(LookupError, match="Unregistered is not registered"):
        Spec(loose, codec=EventCodec[object]({"DoorClosed": DoorClosed})).given().when(Close()).then(
            Unregistered()
        )


def test_without_a_codec_events_are_compared_as_they_are() -> None:
    Spec(door).given().when(Open(by="ann")).then(DoorOpened(by="ann"))
