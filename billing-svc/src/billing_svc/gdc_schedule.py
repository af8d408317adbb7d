"""The GDC monthly run of the 1st, started by billing's worker itself (ADR 017 amendment).

Every tick, for each tenant that offers GDC, the runs due (`domain.gdc.schedule`: this month's 1st in
Europe/Paris, and any 1st missed since the last run completed) are run oldest first, each recorded in
`gdc_scheduled_runs` once completed: a later tick, or a worker started later in the month, leaves it. A run
that failed is tried again at the next tick, where it resumes (the run is idempotent). One replica ticks: the
schedule runs under a `Leadership` (a session advisory lock, as the relay, ADR 014); two leaders for a moment
would both run, which the run tolerates.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from uuid import uuid4

import asyncpg

from billing_svc.domain.gdc.schedule import runs_due
from billing_svc.gdc import Gdc, MonthRun
from billing_svc.invoices import paris_today
from billing_svc.reference.tenants import TENANTS
from services.leadership import Leadership
from services.runtime import Resources

log = logging.getLogger(__name__)

TICK_SECONDS = 60.0

Clock = Callable[[], datetime]
RunMonth = Callable[[date, str], Awaitable[MonthRun]]  # (run_on, tenant)
Work = Callable[[asyncio.Event], Awaitable[None]]


def utc_now() -> datetime:
    return datetime.now(UTC)


def gdc_tenants() -> list[str]:
    return [name for name, settings in TENANTS.settings.items() if settings.gdc is not None]


class GdcSchedule:
    def __init__(
        self,
        pool: asyncpg.Pool,
        run_month: RunMonth,
        *,
        tenants: Sequence[str],
        clock: Clock = utc_now,
        interval: float = TICK_SECONDS,
    ) -> None:
        self._pool = pool
        self._run_month = run_month
        self._tenants = tuple(tenants)
        self._clock = clock
        self._interval = interval

    async def tick(self) -> list[tuple[str, date]]:
        """Run what is due now; the (tenant, run date) of the runs completed."""
        today = paris_today(self._clock())
        completed: list[tuple[str, date]] = []
        for tenant in self._tenants:
            try:
                completed += [(tenant, run_on) for run_on in await self._catch_up(tenant, today)]
            except Exception:  # one tenant's failure holds back no other's
                log.exception("GDC monthly run of %s failed; tried again at the next tick", tenant)
        return completed

    async def _catch_up(self, tenant: str, today: date) -> list[date]:
        last = await self._pool.fetchval(
            "SELECT max(run_on) FROM gdc_scheduled_runs WHERE tenant = $1 AND run_on <= $2", tenant, today
        )
        completed: list[date] = []
        for run_on in runs_due(today, last):
            run = await self._run_month(run_on, tenant)
            await self._pool.execute(
                """INSERT INTO gdc_scheduled_runs (tenant, run_on, month, invoices, held, completed_at)
                   VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant, run_on) DO NOTHING""",
                tenant,
                run_on,
                run.month,
                len(run.invoices),
                len(run.held),
                self._clock(),
            )
            log.info(
                "GDC monthly run of %s on %s: %d invoices, %d held",
                tenant,
                run_on,
                len(run.invoices),
                len(run.held),
            )
            completed.append(run_on)
        return completed

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.tick()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._interval)


def background(gdc: Gdc, resources: Resources) -> Sequence[Work]:
    """The schedule under its leadership, unless the setting turned it off (ops then call the API)."""
    settings = resources.settings
    if not getattr(settings, "gdc_monthly_run_enabled", True):
        return ()

    async def run_month(run_on: date, tenant: str) -> MonthRun:
        return await gdc.run_month(run_on, tenant=tenant, correlation_id=str(uuid4()))

    schedule = GdcSchedule(resources.pool, run_month, tenants=gdc_tenants())
    leadership = Leadership(settings.database_url, f"{settings.db_schema}.gdc-monthly-run")

    async def gdc_monthly_run(stop: asyncio.Event) -> None:
        await leadership.run(schedule.run, stop)

    return (gdc_monthly_run,)
