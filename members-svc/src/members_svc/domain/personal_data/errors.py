"""The refusals of personal data: each names its field, and never repeats the value (it is personal data)."""

from __future__ import annotations


class InvalidPersonalData(ValueError):
    """A field of a person's data does not hold: `field` is its name (`nir`, `address.postal_code`)."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field


class NotANaturalPerson(Exception):
    """Personal data (and its erasure) concern natural persons; a legal entity has none."""


class AlreadyErased(Exception):
    """The person's data was erased: nothing can be read, and nothing is recorded any more."""
