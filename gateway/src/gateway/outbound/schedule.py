"""When to try a delivery again: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after each failure, ±10 % jitter.

A receiver that says it is overloaded (429, 502, 503, 504) or asks for time (Retry-After) gets at least what
it asked for: the longer of the schedule and Retry-After, capped at the schedule's longest step.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

RETRY_DELAYS = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
# An endpoint failing without a success for this long is disabled.
FAILING_FOR = timedelta(days=5)
SLOW_DOWN_STATUSES = frozenset({429, 502, 503, 504})
JITTER = 0.10


def attempts_allowed() -> int:
    """The first attempt and one per step of the schedule."""
    return len(RETRY_DELAYS) + 1


def retry_delay(
    failed_attempts: int,
    *,
    scale: float = 1.0,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float | None:
    """Seconds before the next attempt after `failed_attempts` failures; None once the schedule is spent."""
    if failed_attempts > len(RETRY_DELAYS):
        return None
    base = RETRY_DELAYS[failed_attempts - 1] * scale
    delay = base * (rng or random).uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_DELAYS[-1]))
    return delay


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date), None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
