"""Business dates: the Paris day of an instant, months added to a date, French working days (ouvrables)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

PARIS = ZoneInfo("Europe/Paris")


def paris_day(instant: datetime) -> date:
    return instant.astimezone(PARIS).date()


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has none (31 Jan + 1 month = 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


@lru_cache(maxsize=16)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("FR", years=year).keys())


def is_working_day(day: date) -> bool:
    """A jour ouvrable: Monday to Saturday, not a public holiday (metropolitan France)."""
    return day.weekday() != 6 and day not in _public_holidays(day.year)


def add_working_days(day: date, count: int) -> date:
    """The `count`-th working day after `day`."""
    current = day
    while count > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            count -= 1
    return current
