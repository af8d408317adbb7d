"""A natural person's personal data: the fields, their checks, and how sealed data is carried.

The domain never sees a key: a command brings a `Sealer` (the member's data key, applied by the handler),
and events carry only what it returns (ADR 008).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from members_svc.domain.personal_data.errors import AlreadyErased, InvalidPersonalData, NotANaturalPerson
from members_svc.domain.personal_data.fields import PersonalData, PostalAddress, checked, checked_email

# Turns a person's fields (JSON types) into the opaque text events carry (AES-256-GCM with the person's key).
Sealer = Callable[[Mapping[str, Any]], str]

__all__ = [
    "AlreadyErased",
    "InvalidPersonalData",
    "NotANaturalPerson",
    "PersonalData",
    "PostalAddress",
    "Sealer",
    "checked",
    "checked_email",
]
