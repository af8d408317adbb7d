"""payroll-svc's business metrics (named like the chassis's: <subject>_<what>, labelled by tenant).

Counters are incremented by the payment run. The gauges (payslips of the day, salary payments due, late, paid
on time or not against the 7-day promise) are read from the read models by a background task every
SAMPLE_INTERVAL seconds, not at scrape time (a scrape must not hit the database); a tenant appears once it
has a payslip, with 0 where nothing counts. "Late" means what /v1/salary_payments?state=late means: unpaid
after its due date (the promise broken, the alert's subject), or paid after it. Every worker replica samples
the same tables: the dashboards take the max per tenant, not the sum.

The ops page's summary of payments due and late is answered here too, from the same table, for every tenant
(the operator's view, behind the internal token's `ops` scope like the chassis's ops API).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import asyncpg
from fastapi import APIRouter, Depends, Request
from prometheus_client import Counter, Gauge

from services.caller import current_caller
from services.http import Problem
from services.http.ops import OPS_SCOPE, PREFIX
from services.internal_token import Caller
from services.runtime import Resources

log = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")  # business dates: a salary is due on a Paris day
SAMPLE_INTERVAL = 15.0  # seconds: the promise is counted in days
PAID_WINDOW_DAYS = 30  # the on-time ratio is read over the last month of payments
LATE_SHOWN = 20  # late payments listed on the ops page, the oldest due first

SALARIES_DUE = Counter(
    "payroll_salaries_due_total", "Salaries a payment run found due (sent to the bank)", ["tenant"]
)
SALARIES_PAID = Counter(
    "payroll_salaries_paid_total",
    "Salaries the bank accepted, by whether they were paid on their due date",
    ["tenant", "timeliness"],
)
SALARIES_REJECTED = Counter(
    "payroll_salaries_rejected_total", "Salary transfers the bank rejected", ["tenant"]
)
PAYMENT_RUNS_FAILED = Counter(
    "payroll_payment_runs_failed_total", "Payment runs whose file the bank failed as a whole", ["tenant"]
)

PAYSLIPS_TODAY = Gauge(
    "payroll_payslips_issued_today", "Payslips issued on the current Paris day", ["tenant"]
)
PAYMENTS_DUE = Gauge(
    "payroll_salary_payments_due", "Salary payments scheduled or rejected, not paid yet", ["tenant"]
)
PAYMENTS_LATE = Gauge(
    "payroll_salary_payments_late",
    "Salary payments still unpaid after their due date: the 7-day promise broken",
    ["tenant"],
)
PAYMENTS_PAID = Gauge(
    "payroll_salary_payments_paid_30d",
    "Salary payments paid in the last 30 days, by whether on their due date (on_time) or after it (late)",
    ["tenant", "timeliness"],
)

# The tenants by a skip scan of the payslips' (tenant, ...) index, then each figure by its own count; the
# payments' counts scan the unpaid and recent rows of the tenant.
_FIGURES = """
WITH RECURSIVE t AS (
    SELECT min(tenant) AS tenant FROM payslips
    UNION ALL
    SELECT (SELECT min(tenant) FROM payslips WHERE tenant > t.tenant) FROM t WHERE t.tenant IS NOT NULL
)
SELECT t.tenant,
       (SELECT count(*) FROM payslips p
         WHERE p.tenant = t.tenant AND p.issued_at >= $2 AND p.issued_at < $3) AS payslips,
       (SELECT count(*) FROM salary_payments s WHERE s.tenant = t.tenant AND s.status <> 'paid') AS due,
       (SELECT count(*) FROM salary_payments s
         WHERE s.tenant = t.tenant AND s.status <> 'paid' AND s.due_on < $1) AS late,
       (SELECT count(*) FROM salary_payments s
         WHERE s.tenant = t.tenant AND s.status = 'paid' AND s.paid_on >= $4 AND s.on_time) AS paid_on_time,
       (SELECT count(*) FROM salary_payments s
         WHERE s.tenant = t.tenant AND s.status = 'paid' AND s.paid_on >= $4 AND NOT s.on_time) AS paid_late
FROM t WHERE t.tenant IS NOT NULL
"""


def _start_of(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), PARIS)


async def sample(pool: asyncpg.Pool, today: date) -> None:
    # The pool's role owns the tables: its policy sees every tenant's rows (the figures are per tenant).
    since = today - timedelta(days=PAID_WINDOW_DAYS)
    for row in await pool.fetch(
        _FIGURES, today, _start_of(today), _start_of(today + timedelta(days=1)), since
    ):
        tenant = row["tenant"]
        PAYSLIPS_TODAY.labels(tenant).set(row["payslips"])
        PAYMENTS_DUE.labels(tenant).set(row["due"])
        PAYMENTS_LATE.labels(tenant).set(row["late"])
        PAYMENTS_PAID.labels(tenant, "on_time").set(row["paid_on_time"])
        PAYMENTS_PAID.labels(tenant, "late").set(row["paid_late"])


def paris_today() -> date:
    return datetime.now(UTC).astimezone(PARIS).date()


def background(service: object, resources: Resources) -> Sequence[Callable[[asyncio.Event], Awaitable[None]]]:
    async def sampling(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await sample(resources.pool, paris_today())
            except Exception as exc:  # a gauge is never worth stopping the service for
                log.warning("payroll: sampling business metrics failed: %r", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SAMPLE_INTERVAL)

    return (sampling,)


# -- the ops page's payments due and late -----------------------------------------------------------------


async def _operator(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    if not caller.may(OPS_SCOPE):
        raise Problem(403, "insufficient_scope", detail=f"this call needs the {OPS_SCOPE!r} scope")
    return caller


ops_router = APIRouter(prefix=PREFIX, include_in_schema=False, dependencies=[Depends(_operator)])


@ops_router.get("/salary_payments")
async def salary_payments(request: Request) -> dict[str, Any]:
    """Per tenant, the payments not paid yet and those late; the oldest late ones by id, never the payee."""
    resources: Resources = request.app.state.resources
    today = paris_today()
    async with resources.pool.acquire() as conn:
        counts = await conn.fetch(
            "SELECT tenant, count(*) AS due, count(*) FILTER (WHERE due_on < $1) AS late,"
            " min(due_on) AS next_due_on FROM salary_payments WHERE status <> 'paid'"
            " GROUP BY tenant ORDER BY tenant",
            today,
        )
        late = await conn.fetch(
            "SELECT tenant, payslip_id, due_on, status FROM salary_payments"
            " WHERE status <> 'paid' AND due_on < $1 ORDER BY due_on, payslip_id LIMIT $2",
            today,
            LATE_SHOWN,
        )
    return {
        "today": today.isoformat(),
        "tenants": [
            {
                "tenant": row["tenant"],
                "due": row["due"],
                "late": row["late"],
                "next_due_on": row["next_due_on"].isoformat(),
            }
            for row in counts
        ],
        "late": [
            {
                "tenant": row["tenant"],
                "payslip_id": str(row["payslip_id"]),
                "due_on": row["due_on"].isoformat(),
                "status": row["status"],
            }
            for row in late
        ],
    }
