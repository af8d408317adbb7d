"""The 7-day promise: the date a net salary is paid, from the last day worked."""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

import holidays

ONE_DAY = timedelta(days=1)


@cache
def _promises() -> list[dict[str, Any]]:
    text = resources.files(__package__).joinpath("parameters", "promise.toml").read_text(encoding="utf-8")
    entries: list[dict[str, Any]] = tomllib.loads(text)["promise"]
    return sorted(entries, key=lambda entry: entry["from"])


def _promise_on(day: date) -> dict[str, Any]:
    in_force = [entry for entry in _promises() if entry["from"] <= day]
    if not in_force:
        raise ValueError(f"no salary promise in force on {day.isoformat()}")
    return in_force[-1]


@cache
def _public_holidays(calendar: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(calendar, years=year))


def is_bank_business_day(day: date, calendar: str = "FR") -> bool:
    """Neither a Saturday, a Sunday nor a public holiday of `calendar`."""
    return day.weekday() < 5 and day not in _public_holidays(calendar, day.year)


def salary_due_on(last_day_worked: date) -> date:
    """The last day worked + the promised calendar days; the business day before when that day is not one."""
    promise = _promise_on(last_day_worked)
    due = last_day_worked + timedelta(days=promise["calendar_days"])
    while not is_bank_business_day(due, promise["holiday_calendar"]):
        due -= ONE_DAY
    return due
