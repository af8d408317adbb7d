"""Collection terms: the dunning schedule and the late-payment rate table (data in billing_svc/reference).

Late-payment interest (Code de commerce L441-10): the ECB's rate on its most recent main refinancing
operation, plus a margin; the rate of a half-year is the one in force on 1 January or 1 July. Interest
accrues per day late on what is unpaid that day: amount x rate x days / 365 (the table's convention).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from billing_svc.domain.receivables.events import InterestPeriod


class NoRateFor(LookupError):
    """The rate table has no half-year covering a day late: the table needs its next row."""


@dataclass(frozen=True)
class HalfYearRate:
    starts: date  # 1 January or 1 July
    ecb_percent: Decimal
    checked: bool  # False: not checked against the ECB's publication (see the data file)


@dataclass(frozen=True)
class LatePaymentRates:
    rates: tuple[HalfYearRate, ...]  # by start, ascending
    margin_points: Decimal
    days_in_year: int

    def percent_on(self, day: date) -> Decimal:
        """The late-payment rate (ECB rate + margin) in force on `day`."""
        half_year = date(day.year, 1 if day.month <= 6 else 7, 1)
        for rate in self.rates:
            if rate.starts == half_year:
                return rate.ecb_percent + self.margin_points
        raise NoRateFor(f"no ECB rate for the half-year starting {half_year}")


@dataclass(frozen=True)
class CollectionTerms:
    """Notices at due + each offset (days); the fund covers what is unpaid after the last one."""

    notice_offsets: tuple[int, ...]
    late_payment: LatePaymentRates

    @property
    def last_step(self) -> int:
        return len(self.notice_offsets)

    def step_due(self, days_late: int) -> int:
        """The latest step whose day has come (0: none yet)."""
        return sum(1 for offset in self.notice_offsets if days_late >= offset)


def late_interest(
    unpaid_on: Callable[[date], int], due_date: date, until: date, rates: LatePaymentRates
) -> tuple[int, tuple[InterestPeriod, ...]]:
    """Interest from the day after `due_date` to `until` included, per day on that day's unpaid amount.

    The sum is exact in Decimal and rounded once, to the cent; the periods group the days of one amount and
    one rate, for the notice.
    """
    total = Decimal(0)
    periods: list[InterestPeriod] = []
    day = due_date + timedelta(days=1)
    while day <= until:
        unpaid = unpaid_on(day)
        percent = rates.percent_on(day)
        if unpaid > 0:
            total += Decimal(unpaid) * percent / 100 / rates.days_in_year
            last = periods[-1] if periods else None
            if (
                last is not None
                and last.last_day == day - timedelta(days=1)
                and (last.unpaid_cents, last.rate_percent) == (unpaid, percent)
            ):
                periods[-1] = last.model_copy(update={"last_day": day})
            else:
                periods.append(
                    InterestPeriod(first_day=day, last_day=day, unpaid_cents=unpaid, rate_percent=percent)
                )
        day += timedelta(days=1)
    return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP)), tuple(periods)
