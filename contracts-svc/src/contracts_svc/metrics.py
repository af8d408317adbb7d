"""contracts-svc's business gauges: hires of the day and active contracts, by tenant (ADR 012's names).

Read from the contract directory by a background task every SAMPLE_INTERVAL seconds, not at scrape time (a
scrape must not hit the database). A tenant appears once it has a contract, with 0 where nothing counts, so
the business dashboard's panels return series when all is quiet. Every worker replica samples the same
table: the dashboards take the max per tenant, not the sum.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime

import asyncpg
from prometheus_client import Gauge

from contracts_svc.domain.contracts.calendar import paris_day
from services.runtime import Resources

log = logging.getLogger(__name__)

SAMPLE_INTERVAL = 15.0  # seconds: business figures move by the hour; the directory is scanned once per sample

HIRES_TODAY = Gauge(
    "contracts_hires_today",
    "Contracts declared (DPAE done, not cancelled) that start on the current Paris day",
    ["tenant"],
)
ACTIVE = Gauge(
    "contracts_active",
    "Signed contracts in force on the current Paris day (started, not ended, not completed)",
    ["tenant"],
)

_FIGURES = """
SELECT tenant,
       count(*) FILTER (WHERE starts_on = $1 AND status IN ('hire_declared', 'signed', 'completed')) AS hires,
       count(*) FILTER (WHERE status = 'signed' AND starts_on <= $1 AND (ends_on IS NULL OR ends_on >= $1))
         AS active
FROM contract_directory GROUP BY tenant
"""


async def sample(pool: asyncpg.Pool, today: date) -> None:
    # The pool's role owns the table: its policy sees every tenant's rows (the figures are per tenant).
    for row in await pool.fetch(_FIGURES, today):
        HIRES_TODAY.labels(row["tenant"]).set(row["hires"])
        ACTIVE.labels(row["tenant"]).set(row["active"])


def background(service: object, resources: Resources) -> Sequence[Callable[[asyncio.Event], Awaitable[None]]]:
    async def sampling(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await sample(resources.pool, paris_day(datetime.now(UTC)))
            except Exception as exc:  # a gauge is never worth stopping the service for
                log.warning("contracts: sampling business metrics failed: %r", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SAMPLE_INTERVAL)

    return (sampling,)
