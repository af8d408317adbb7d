"""billing-svc's business gauges: invoices issued today, invoices overdue, receivables by age, by tenant.

Read by a background task every SAMPLE_INTERVAL seconds, not at scrape time (a scrape must not hit the
database). Until the receivables read model records payments, an issued invoice (type 380) is outstanding
for its total less the credit notes (381) that correct it, and overdue once its due date (kept on its
InvoiceFinalised event) is past on the Paris calendar. A tenant appears once it has issued an invoice, every
age bucket with it (0 where nothing is owed), so the business dashboard's panels return series when all is
paid. Every worker replica samples the same tables: the dashboards take the max per tenant, not the sum.
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
# The usual ageing balance's buckets: days past the due date, each up to its upper bound (None: no bound).
AGE_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("not_due", 0),
    ("1_30", 30),
    ("31_60", 60),
    ("61_90", 90),
    ("over_90", None),
)

INVOICES_TODAY = Gauge(
    "billing_invoices_issued_today", "Invoices (not credit notes) issued on the current Paris day", ["tenant"]
)
INVOICES_OVERDUE = Gauge(
    "billing_invoices_overdue", "Issued invoices past their due date with an amount still owed", ["tenant"]
)
RECEIVABLES = Gauge(
    "billing_receivables_cents",
    "Amount owed on issued invoices, incl. VAT, by days past the due date (age: not_due, 1_30 ... over_90)",
    ["tenant", "age"],
)

# Each invoice's amount owed and days past due; the due date read from its stream's InvoiceFinalised event
# (one index lookup on the event store's (stream_id, stream_version) per invoice).
_OUTSTANDING = """
SELECT i.tenant, i.issue_date,
       i.total_cents - COALESCE((SELECT sum(c.total_cents) FROM issued_invoices c
                                 WHERE c.tenant = i.tenant AND c.corrects = i.invoice_id), 0) AS owed_cents,
       $1 - (SELECT (e.data->>'due_date')::date FROM events e
             WHERE e.stream_id = 'invoice-' || i.invoice_id
               AND e.event_type = 'InvoiceFinalised') AS days_late
FROM issued_invoices i WHERE i.type_code = '380'
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
    for row in await pool.fetch(_OUTSTANDING, today):
        tenant = row["tenant"]
        issued[tenant] = issued.get(tenant, 0) + (row["issue_date"] == today)
        buckets = owed.setdefault(tenant, {name: 0 for name, _ in AGE_BUCKETS})
        overdue.setdefault(tenant, 0)
        if row["owed_cents"] > 0 and row["days_late"] is not None:
            buckets[age_of(row["days_late"])] += row["owed_cents"]
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
