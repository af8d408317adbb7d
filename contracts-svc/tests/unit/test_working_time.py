"""Working time across all of a person's employers: 10 h a day, 48 h a week, 44 h over 12 weeks, 11 h rest.

`others` is the work the person reported under any contract with any employer (the handler reads it from the
person's worked-time projection); the refusal names the limit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from contract_fixtures import CDI_TERMS, CONTRACT, STARTS, declared, drafted, parties, signed, spec

from contracts_svc.domain.contracts import ReportWork, WorkPeriod, WorkReported
from contracts_svc.domain.contracts.rules import WorkingTimeExceeded
from contracts_svc.domain.contracts.tables import working_time_limits
from contracts_svc.domain.contracts.working_time import check_working_time, minutes_by_day

LIMITS = working_time_limits(date(2026, 12, 1))
NOW = datetime(2027, 6, 30, tzinfo=UTC)
CDI = drafted("cdi")
DECLARED = declared(STARTS - timedelta(days=1), "cdi")
SIGNED = signed(STARTS, "cdi")
REPORT = UUID("0197a3c2-5b1e-7c3d-9a4f-2e6b8d1c0a03")


def at(day: date, hour: float, hours: float) -> WorkPeriod:
    starts = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour)
    return WorkPeriod(starts_at=starts, ends_at=starts + timedelta(hours=hours))


def week_of_days(monday: date, hours: float, days: int = 5) -> list[WorkPeriod]:
    return [at(monday + timedelta(days=n), 7, hours) for n in range(days)]


def report(periods: list[WorkPeriod], others: list[WorkPeriod]) -> ReportWork:
    return ReportWork(CONTRACT, REPORT, tuple(periods), tuple(others), NOW)


def test_the_limits_come_from_the_effective_dated_table() -> None:
    assert (LIMITS.daily_max_hours, LIMITS.weekly_max_hours, LIMITS.average_max_hours) == (
        Decimal(10),
        Decimal(48),
        Decimal(44),
    )
    assert (LIMITS.average_weeks, LIMITS.daily_rest_hours) == (12, Decimal(11))


def test_ten_hours_in_a_day_across_employers_pass_and_a_minute_more_is_refused() -> None:
    other_employer = [at(date(2026, 12, 7), 6, 6)]
    ok = [at(date(2026, 12, 7), 13, 4)]
    check_working_time(other_employer, ok, LIMITS)
    over = [WorkPeriod(starts_at=ok[0].starts_at, ends_at=ok[0].ends_at + timedelta(minutes=1))]
    with pytest.raises(WorkingTimeExceeded, match=r"10 h a day") as refused:
        check_working_time(other_employer, over, LIMITS)
    assert refused.value.limit == "daily_maximum"


def test_a_period_across_midnight_counts_on_each_paris_day() -> None:
    # 21:00-03:00 UTC in December is 22:00-04:00 in Paris: 2 h on the 7th, 4 h on the 8th.
    night = at(date(2026, 12, 7), 21, 6)
    assert minutes_by_day([night]) == {date(2026, 12, 7): 120, date(2026, 12, 8): 240}


def test_the_hour_that_breaks_the_48_hour_week_is_refused_whichever_employer_reports_it() -> None:
    monday = date(2026, 12, 7)
    # Employer A: 8 h Monday to Friday (40 h). Employer B: 7 h on Saturday morning is 47 h; 2 h is 49 h.
    employer_a = week_of_days(monday, 8)
    employer_b_ok = [at(monday + timedelta(days=5), 7, 1)]
    employer_b_over = [at(monday + timedelta(days=5), 7, 9)]
    spec.given(CDI, DECLARED, SIGNED).when(report(employer_b_ok, employer_a)).then(
        WorkReported(
            contract_id=CONTRACT,
            parties=parties("cdi"),
            terms=CDI_TERMS,
            periods=tuple(employer_b_ok),
            minutes=60,
            days=(monday + timedelta(days=5),),
            reported_at=NOW,
            report_id=REPORT,
        )
    )
    error = (
        spec.given(CDI, DECLARED, SIGNED)
        .when(report(employer_b_over, employer_a))
        .then_raises(WorkingTimeExceeded, match="48 h a week")
    )
    assert error.limit == "weekly_maximum"
    # The other way round: B's Saturday is already reported, A's Friday is the hour too many.
    saturday_b = [at(monday + timedelta(days=5), 7, 9)]
    a_first_four = week_of_days(monday, 8, days=4)
    a_friday = [at(monday + timedelta(days=4), 7, 8)]
    error = (
        spec.given(CDI, DECLARED, SIGNED)
        .when(report(a_friday, [*a_first_four, *saturday_b]))
        .then_raises(WorkingTimeExceeded, match="48 h a week")
    )
    assert error.limit == "weekly_maximum"


def test_44_hours_on_average_over_12_weeks_is_the_ceiling() -> None:
    first_monday = date(2026, 9, 7)
    # 11 weeks at 46 h (5 x 9.2 h) and a 12th at 22 h: 528 h, exactly 44 h on average.
    eleven = [p for w in range(11) for p in week_of_days(first_monday + timedelta(weeks=w), 9.2)]
    twelfth_monday = first_monday + timedelta(weeks=11)
    check_working_time(eleven, week_of_days(twelfth_monday, 4.4), LIMITS)
    with pytest.raises(WorkingTimeExceeded, match="44 h") as refused:
        check_working_time(
            eleven, [*week_of_days(twelfth_monday, 4.4), at(twelfth_monday + timedelta(days=5), 7, 1)], LIMITS
        )
    assert refused.value.limit == "average_weekly_maximum"


def test_eleven_consecutive_hours_of_rest_every_day() -> None:
    # 06:00-10:00 and 14:00-18:00 at one employer, then 22:00-02:00 at the other: no 11-hour break.
    day = date(2026, 12, 7)
    already = [at(day, 6, 4), at(day, 14, 4)]
    with pytest.raises(WorkingTimeExceeded, match="11 consecutive hours") as refused:
        check_working_time(already, [at(day, 22, 3)], LIMITS)
    assert refused.value.limit == "daily_rest"
    # The next morning at 05:00 leaves exactly 11 hours after 18:00: allowed.
    check_working_time(already, [at(day + timedelta(days=1), 5, 4)], LIMITS)


def test_thirty_five_consecutive_hours_of_rest_every_week() -> None:
    monday = date(2026, 12, 7)
    six_days = [at(monday + timedelta(days=n), 7, 6) for n in range(6)]  # Monday to Saturday, 36 h
    sunday = [at(monday + timedelta(days=6), 7, 6)]
    check_working_time(six_days[:5], six_days[5:], LIMITS)
    with pytest.raises(WorkingTimeExceeded, match="35 consecutive hours") as refused:
        check_working_time(six_days, sunday, LIMITS)
    assert refused.value.limit == "weekly_rest"
    # Saturday off instead: Friday 13:00 to Sunday 07:00 is 42 hours of rest.
    check_working_time([*six_days[:5]], sunday, LIMITS)
