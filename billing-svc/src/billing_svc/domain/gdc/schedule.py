"""When the GDC monthly run is due: on the 1st of each month (Europe/Paris), and on each 1st the worker
missed since the last run it completed (it was down that day), oldest first: each month keeps its invoice."""

from __future__ import annotations

from datetime import date


def next_first(day: date) -> date:
    """The 1st of the month after `day`'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def runs_due(today: date, last_run_on: date | None) -> list[date]:
    """The 1sts to run on `today`, given the latest run completed (none: a schedule just turned on runs this
    month's only; earlier months were ops' to run)."""
    due = today.replace(day=1)
    if last_run_on is None:
        return [due]
    runs: list[date] = []
    run_on = next_first(last_run_on)
    while run_on <= due:
        runs.append(run_on)
        run_on = next_first(run_on)
    return runs
