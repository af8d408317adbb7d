"""Maximum working time across all of a person's employers (L8261-1): day, week, 12-week average, rests.

Pure: given every period the person already worked (any employer) and the new ones, say which limit breaks.
Days are Paris calendar days, weeks Monday to Sunday (the civil week, L3121-35); a period crossing midnight
counts on each day for its part. The daily rest is checked as no 11-hour break in a stretch longer than
24 - 11 = 13 hours (periods separated by less than 11 hours belong to one stretch).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise

from contracts_svc.domain.contracts.calendar import PARIS
from contracts_svc.domain.contracts.events import WorkPeriod
from contracts_svc.domain.contracts.rules import WorkingTimeExceeded
from contracts_svc.domain.contracts.tables import WorkingTimeLimits

MINUTES_PER_HOUR = 60


def _minutes(hours: Decimal) -> int:
    return int(hours * MINUTES_PER_HOUR)


def minutes_by_day(periods: Iterable[WorkPeriod]) -> dict[date, int]:
    """Minutes worked on each Paris day, a period crossing midnight split at it."""
    found: dict[date, int] = defaultdict(int)
    for period in periods:
        start = period.starts_at.astimezone(PARIS)
        end = period.ends_at.astimezone(PARIS)
        while start < end:
            next_midnight = datetime.combine(start.date() + timedelta(days=1), time(), PARIS)
            cut = min(end, next_midnight)
            found[start.date()] += int((cut - start).total_seconds()) // 60
            start = cut
    return dict(found)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def check_working_time(
    already: Sequence[WorkPeriod], new: Sequence[WorkPeriod], limits: WorkingTimeLimits
) -> None:
    """Raise `WorkingTimeExceeded` naming the first limit `new` breaks on top of `already`."""
    all_periods = [*already, *new]
    by_day = minutes_by_day(all_periods)
    new_days = sorted(minutes_by_day(new))
    for day in new_days:
        if by_day[day] > _minutes(limits.daily_max_hours):
            raise WorkingTimeExceeded(
                "daily_maximum",
                f"{by_day[day] / 60:.2f} h on {day.isoformat()} across the person's employers: the maximum "
                f"is {limits.daily_max_hours} h a day (L3121-18)",
            )
    by_week: dict[date, int] = defaultdict(int)
    for day, minutes in by_day.items():
        by_week[_monday(day)] += minutes
    new_weeks = sorted({_monday(day) for day in new_days})
    for week in new_weeks:
        if by_week[week] > _minutes(limits.weekly_max_hours):
            raise WorkingTimeExceeded(
                "weekly_maximum",
                f"{by_week[week] / 60:.2f} h in the week of {week.isoformat()} across the person's "
                f"employers: the maximum is {limits.weekly_max_hours} h a week (L3121-20)",
            )
    span = limits.average_weeks
    ceiling = _minutes(limits.average_max_hours) * span
    for week in new_weeks:
        # every window of `span` consecutive weeks that contains a week of the new work
        for offset in range(span):
            first = week - timedelta(weeks=offset)
            total = sum(by_week.get(first + timedelta(weeks=n), 0) for n in range(span))
            if total > ceiling:
                raise WorkingTimeExceeded(
                    "average_weekly_maximum",
                    f"{total / 60 / span:.2f} h a week on average over the {span} weeks from "
                    f"{first.isoformat()}: the maximum is {limits.average_max_hours} h (L3121-22)",
                )
    _check_daily_rest(all_periods, new, limits)
    # New work may shorten a break that a neighbouring week's rest relied on: check those weeks too.
    for week in sorted({w + timedelta(weeks=n) for w in new_weeks for n in (-1, 0, 1)}):
        _check_weekly_rest(all_periods, week, limits)


def _check_daily_rest(
    all_periods: list[WorkPeriod], new: Sequence[WorkPeriod], limits: WorkingTimeLimits
) -> None:
    rest = timedelta(minutes=_minutes(limits.daily_rest_hours))
    longest = timedelta(hours=24) - rest
    ordered = sorted(all_periods, key=lambda p: p.starts_at)
    stretch_start, stretch_end = ordered[0].starts_at, ordered[0].ends_at
    members: list[WorkPeriod] = [ordered[0]]
    stretches: list[tuple[datetime, datetime, list[WorkPeriod]]] = []
    for period in ordered[1:]:
        if period.starts_at - stretch_end < rest:
            stretch_end = max(stretch_end, period.ends_at)
            members.append(period)
        else:
            stretches.append((stretch_start, stretch_end, members))
            stretch_start, stretch_end, members = period.starts_at, period.ends_at, [period]
    stretches.append((stretch_start, stretch_end, members))
    for start, end, in_stretch in stretches:
        if end - start > longest and any(p in new for p in in_stretch):
            raise WorkingTimeExceeded(
                "daily_rest",
                f"no {limits.daily_rest_hours} h rest between {start.isoformat()} and {end.isoformat()} "
                f"across the person's employers: the daily rest is {limits.daily_rest_hours} "
                "consecutive hours (L3131-1)",
            )


def _check_weekly_rest(all_periods: list[WorkPeriod], monday: date, limits: WorkingTimeLimits) -> None:
    """A break of 35 consecutive hours with at least 24 of them inside the civil week (the 24 h rest of the
    week, and the 11 h of daily rest beside it). Beyond a margin of two days either side, unreported work
    cannot shorten such a break below 35 hours, so the margin's edges stand for the unknown."""
    start = datetime.combine(monday, time(), PARIS)
    end = datetime.combine(monday + timedelta(days=7), time(), PARIS)
    margin = timedelta(days=2)
    around = sorted(
        (p for p in all_periods if p.ends_at > start - margin and p.starts_at < end + margin),
        key=lambda p: p.starts_at,
    )
    rest = timedelta(minutes=_minutes(limits.weekly_rest_hours))
    inside = rest - timedelta(minutes=_minutes(limits.daily_rest_hours))
    free_from = start - margin
    for period in [*around, WorkPeriod(starts_at=end + margin, ends_at=end + margin)]:
        in_week = min(period.starts_at, end) - max(free_from, start)
        if period.starts_at - free_from >= rest and in_week >= inside:
            return
        free_from = max(free_from, period.ends_at)
    raise WorkingTimeExceeded(
        "weekly_rest",
        f"no {limits.weekly_rest_hours} consecutive hours of rest in the week of {monday.isoformat()} across "
        "the person's employers: the weekly rest is 24 h plus the daily 11 h (L3132-2)",
    )


def overlapping(periods: Sequence[WorkPeriod]) -> tuple[WorkPeriod, WorkPeriod] | None:
    """Two periods that overlap, if any (a person works for one employer at a time)."""
    ordered = sorted(periods, key=lambda p: p.starts_at)
    for before, after in pairwise(ordered):
        if after.starts_at < before.ends_at:
            return before, after
    return None
