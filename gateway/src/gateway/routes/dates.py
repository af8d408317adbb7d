"""Dates in query strings and bodies: written YYYY-MM-DD, never a number.

pydantic reads a number as a Unix time (`?on=0` would mean 1970-01-01), which the OpenAPI document does not
allow: such a request is a 400 naming the parameter, like any other malformed value.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import Query
from pydantic import BeforeValidator

ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def iso_date_only(value: object) -> object:
    """A date given as text must be YYYY-MM-DD; anything else is left to pydantic's own checks."""
    if isinstance(value, str) and not ISO_DATE.match(value):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


def iso_day(value: object) -> object:
    """A body date is a YYYY-MM-DD string, never a number."""
    if not isinstance(value, str) or not ISO_DATE.match(value):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


QueryDate = Annotated[date | None, BeforeValidator(iso_date_only), Query(description="YYYY-MM-DD.")]
