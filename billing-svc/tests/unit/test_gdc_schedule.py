"""When the GDC monthly run is due: given the day (Europe/Paris) and the last run completed, the 1sts."""

from __future__ import annotations

from datetime import date

from billing_svc.domain.gdc.schedule import next_first, runs_due


def test_a_schedule_just_turned_on_runs_this_month_only() -> None:
    assert runs_due(date(2026, 12, 1), None) == [date(2026, 12, 1)]
    assert runs_due(date(2026, 12, 17), None) == [date(2026, 12, 1)]


def test_the_1st_runs_its_month_once() -> None:
    assert runs_due(date(2026, 12, 1), date(2026, 11, 1)) == [date(2026, 12, 1)]
    assert runs_due(date(2026, 12, 1), date(2026, 12, 1)) == []
    assert runs_due(date(2026, 12, 31), date(2026, 12, 1)) == []


def test_a_1st_missed_is_caught_up_later_in_the_month() -> None:
    assert runs_due(date(2026, 12, 3), date(2026, 11, 1)) == [date(2026, 12, 1)]


def test_every_1st_missed_is_run_oldest_first_across_the_year() -> None:
    assert runs_due(date(2027, 1, 2), date(2026, 10, 1)) == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
    ]
    assert next_first(date(2026, 12, 31)) == date(2027, 1, 1)
