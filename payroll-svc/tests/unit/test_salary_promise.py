"""The 7-day promise: last day worked + 7 calendar days; the business day before a weekend or holiday."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from payroll_svc.domain.payments import is_bank_business_day, salary_due_on


def test_a_contract_ending_on_a_friday_before_whit_monday_is_paid_the_next_friday() -> None:
    # Friday 22 May 2026, Monday 25 May is Pentecost Monday: 7 days later is Friday 29 May, a business day.
    assert salary_due_on(date(2026, 5, 22)) == date(2026, 5, 29)


def test_a_salary_due_on_easter_monday_is_paid_the_friday_before() -> None:
    # Last day worked Monday 30 March 2026: due Monday 6 April, Easter Monday; Sunday and Saturday before are
    # not business days either, Good Friday is not a holiday in metropolitan France: Friday 3 April.
    assert salary_due_on(date(2026, 3, 30)) == date(2026, 4, 3)


def test_a_friday_holiday_before_the_weekend_moves_the_payment_to_thursday() -> None:
    # Last day worked Saturday 25 April 2026: due Saturday 2 May; Friday 1 May is Labour Day: Thursday 30.
    assert salary_due_on(date(2026, 4, 25)) == date(2026, 4, 30)
    # Last day worked Friday 18 December 2026: due Christmas Day, a Friday: Thursday 24 December.
    assert salary_due_on(date(2026, 12, 18)) == date(2026, 12, 24)


def test_an_ordinary_week_pays_exactly_seven_days_later() -> None:
    assert salary_due_on(date(2026, 6, 10)) == date(2026, 6, 17)


@given(st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)))
def test_the_payment_is_a_business_day_at_most_seven_days_after_and_never_before_a_closer_business_day(
    last_day_worked: date,
) -> None:
    due = salary_due_on(last_day_worked)
    promised = last_day_worked + timedelta(days=7)

    assert is_bank_business_day(due)
    assert last_day_worked < due <= promised
    assert all(not is_bank_business_day(due + timedelta(days=n)) for n in range(1, (promised - due).days + 1))
