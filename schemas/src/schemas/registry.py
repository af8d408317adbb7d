"""Look up the generated model of a public event by its type and schema version."""

from __future__ import annotations

import importlib
from functools import cache

from pydantic import BaseModel

from schemas.generated._index import EVENTS


class UnknownEventType(LookupError):
    """No schema in `schemas/` declares this event type at this version."""

    def __init__(self, event_type: str, schema_version: int) -> None:
        self.event_type = event_type
        self.schema_version = schema_version
        super().__init__(f"no public event {event_type!r} at schema version {schema_version}")


def known_event_types() -> frozenset[tuple[str, int]]:
    """Every declared `(event_type, schema_version)`, e.g. `("members.MemberApplied", 1)`."""
    return frozenset(EVENTS)


def is_known(event_type: str, schema_version: int) -> bool:
    return (event_type, schema_version) in EVENTS


@cache
def model_for(event_type: str, schema_version: int) -> type[BaseModel]:
    """The generated model of `data` for this event type and version; UnknownEventType if none is declared."""
    try:
        module_name, class_name = EVENTS[(event_type, schema_version)]
    except KeyError:
        raise UnknownEventType(event_type, schema_version) from None
    model = getattr(importlib.import_module(f"schemas.generated.{module_name}"), class_name)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"schemas.generated.{module_name}.{class_name} is not a pydantic model")
    return model


def parse_data(event_type: str, schema_version: int, data: object) -> BaseModel:
    """Validate an envelope's `data` against its contract (unknown fields are ignored)."""
    return model_for(event_type, schema_version).model_validate(data)
