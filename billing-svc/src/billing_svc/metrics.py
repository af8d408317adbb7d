"""billing-svc's business gauges: invoices issued today, invoices overdue, receivables by age, by tenant.

Read from the receivables read model (one row per issued invoice, its amount unpaid after credit notes and
payments, its due date) by a background task every SAMPLE_INTERVAL seconds, not at scrape time (a scrape must
not hit the database). The ages are those of the receivables' ageing (GET /v1/receivables/ageing): days past
the due date on the Paris calendar, written-off receivables left out. A tenant appears once it has a
receivable, every age with it (0 where nothing is owed), so the business dashboard's panels return series
when all is paid. Every worker replica samples the same table: the dashboards take the max per tenant.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import asyncpg
from prometheus_client import Gauge

from services.runtime import Resources

log = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")  # business dates: an invoice falls due on a Paris day
SAMPLE_INTERVAL = 15.0  # seconds: invoices fall due by the day
# The ageing's buckets (api/receivables.py): days past the due date, each up to its bound (None: no bound).
AGE_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("not_due", 0),
    ("0-30", 30),
    ("31-60", 60),
    ("61-90", 90),
    ("over_90", None),
)

INVOICES_TODAY = Gauge(
    "billing_invoices_issued_today", "Invoices (not credit notes) issued on the current Paris day", ["tenant"]
)
INVOICES_OVERDUE = Gauge(
    "billing_invoices_overdue", "Issued invoices past their due date with an amount unpaid", ["tenant"]
)
RECEIVABLES = Gauge(
    "billing_receivables_cents",
    "Amount unpaid on issued invoices, incl. VAT, by days past the due date (age: not_due, 0-30 ... over_90)",
    ["tenant", "age"],
)

# Each receivable's amount unpaid and days past due: one scan of the table per sample.
_RECEIVABLES = """
SELECT tenant, issue_date, $1 - due_date AS days_late,
       CASE WHEN written_off_on IS NULL THEN unpaid_cents ELSE 0 END AS unpaid_cents
FROM receivables
"""


def age_of(days_late: int) -> str:
    for name, upper in AGE_BUCKETS:
        if upper is None or days_late <= upper:
            return name
    raise AssertionError("the last bucket has no bound")


async def sample(pool: asyncpg.Pool, today: date) -> None:
    # The pool's role owns the tables: its policies see every tenant's rows (the figures are per tenant).
    issued: dict[str, int] = {}
    overdue: dict[str, int] = {}
    owed: dict[str, dict[str, int]] = {}
    for row in await pool.fetch(_RECEIVABLES, today):
        tenant = row["tenant"]
        issued[tenant] = issued.get(tenant, 0) + (row["issue_date"] == today)
        buckets = owed.setdefault(tenant, {name: 0 for name, _ in AGE_BUCKETS})
        overdue.setdefault(tenant, 0)
        if row["unpaid_cents"] > 0:
            buckets[age_of(row["days_late"])] += row["unpaid_cents"]
            overdue[tenant] += row["days_late"] > 0
    for tenant, buckets in owed.items():
        INVOICES_TODAY.labels(tenant).set(issued[tenant])
        INVOICES_OVERDUE.labels(tenant).set(overdue[tenant])
        for age, cents in buckets.items():
            RECEIVABLES.labels(tenant, age).set(cents)


def background(service: object, resources: Resources) -> Sequence[Callable[[asyncio.Event], Awaitable[None]]]:
    async def sampling(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await sample(resources.pool, datetime.now(UTC).astimezone(PARIS).date())
            except Exception as exc:  # a gauge is never worth stopping the service for
                log.warning("billing: sampling business metrics failed: %r", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SAMPLE_INTERVAL)

    return (sampling,)
