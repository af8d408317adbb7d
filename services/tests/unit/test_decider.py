"""Deciders fold, and the codec maps event objects to stored events and back, upcasting old versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from pydantic import BaseModel

from services.decider import Decider, EventCodec, UnknownEventType, in_turn
from services.eventstore.types import RecordedEvent


class Added(BaseModel):
    amount: Decimal
    on: date


@dataclass(frozen=True)
class Reset:
    reason: str


def recorded(event_type: str, data: dict[str, Any], schema_version: int = 1) -> RecordedEvent:
    return RecordedEvent(
        1, 1, "counter-1", 1, uuid4(), event_type, schema_version, data, {}, "t", datetime.now(UTC)
    )


def test_fold_applies_evolve_in_order_from_the_initial_state() -> None:
    counter: Decider[None, int, list[int]] = Decider(lambda c, s: [], lambda s, e: [*s, e], [])
    assert counter.fold([1, 2, 3]) == [1, 2, 3]
    assert counter.fold_from([0], [1]) == [0, 1]
    assert counter.fold([]) == []


def test_pydantic_and_dataclass_events_round_trip_through_json_data() -> None:
    codec: EventCodec[Added | Reset] = EventCodec({"Added": Added, "Reset": Reset})
    added = Added(amount=Decimal("12.50"), on=date(2025, 1, 31))
    new = codec.encode(added)
    assert (new.event_type, new.schema_version, new.data) == (
        "Added",
        1,
        {"amount": "12.50", "on": "2025-01-31"},
    )
    assert codec.decode(recorded(new.event_type, new.data)) == added
    assert codec.decode(recorded("Reset", codec.encode(Reset("why")).data)) == Reset("why")


def test_old_versions_are_upcast_in_a_chain() -> None:
    codec: EventCodec[Added] = EventCodec(
        {"Added": Added},
        versions={"Added": 3},
        upcasters={
            ("Added", 1): lambda d: {"amount": d["value"], "day": d["day"]},
            ("Added", 2): lambda d: {"amount": d["amount"], "on": d["day"]},
        },
    )
    assert codec.encode(Added(amount=Decimal(1), on=date(2025, 1, 1))).schema_version == 3
    old = recorded("Added", {"value": "3", "day": "2025-02-01"}, schema_version=1)
    assert codec.decode(old) == Added(amount=Decimal(3), on=date(2025, 2, 1))


def test_unknown_names_newer_versions_and_missing_upcasters_are_refused() -> None:
    codec: EventCodec[Added] = EventCodec({"Added": Added}, versions={"Added": 2})
    with pytest.raises(UnknownEventType, match="no event type 'Removed'"):
        codec.decode(recorded("Removed", {}))
    with pytest.raises(UnknownEventType, match="newer than this code"):
        codec.decode(recorded("Added", {}, schema_version=3))
    with pytest.raises(UnknownEventType, match="no upcaster for Added v1"):
        codec.decode(recorded("Added", {}, schema_version=1))
    with pytest.raises(UnknownEventType, match="Reset is not registered"):
        codec.encode(Reset("x"))  # type: ignore[arg-type]


def test_a_class_under_two_names_or_settings_for_unknown_types_are_refused() -> None:
    with pytest.raises(ValueError, match="registered as 'A' and 'B'"):
        EventCodec({"A": Added, "B": Added})
    with pytest.raises(ValueError, match="unregistered event types"):
        EventCodec({"Added": Added}, versions={"Removed": 2})


class Overdrawn(Exception):
    pass


def _withdraw(amount: int, balance: int) -> list[int]:
    if amount > balance:
        raise Overdrawn(f"{amount} from {balance}")
    return [-amount]


def test_commands_in_turn_are_each_decided_on_the_state_the_ones_before_made() -> None:
    account: Decider[int, int, int] = Decider(_withdraw, lambda balance, e: balance + e, 10)
    both = in_turn(account)
    # Given 10, when 6 then 3 are withdrawn in turn, then both are decided (3 on the 4 left)
    assert both.decide([6, 3], 10) == [-6, -3]
    # and when 6 then 6, the second is refused on the 4 left, and so is the whole
    with pytest.raises(Overdrawn, match="6 from 4"):
        both.decide([6, 6], 10)
    assert both.fold_from(10, [-6, -3]) == 1
