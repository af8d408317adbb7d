"""The GDC monthly run started by billing's worker itself, on the real database, with a clock the tests
move: on the 1st in Europe/Paris the month is run once for every tenant, a 1st missed while the worker was
down is caught up the next day, a second tick runs nothing more, a failed run is tried again; the setting
turns it off."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
import pytest_asyncio

from billing_svc import bootstrap
from billing_svc.config import Settings
from billing_svc.domain.gdc import month_invoiced
from billing_svc.gdc import MonthRun
from billing_svc.gdc_schedule import GdcSchedule, gdc_tenants
from billing_svc.invoices import paris_today
from services.runtime import Resources

from . import gdc_support as gdc
from .gdc_support import TENANT, Running

EVERY_TENANT = ("smartfr", "coop-portage", "grandsensemble", "alterna")


@pytest_asyncio.fixture(scope="module")
async def billing(database_url: str) -> AsyncIterator[Running]:
    async with gdc.running_billing(database_url) as running:
        yield running


@pytest_asyncio.fixture
async def fresh(billing: Running) -> Running:
    await billing.service.resources.pool.execute("TRUNCATE gdc_scheduled_runs")
    return billing


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Runs:
    """The runs asked for, in order; each then done by `then` (nothing to invoice by default)."""

    then: Callable[[date, str], Awaitable[MonthRun]] | None = None
    failing_once: set[str] = field(default_factory=set)
    asked: list[tuple[str, date]] = field(default_factory=list)

    async def __call__(self, run_on: date, tenant: str) -> MonthRun:
        self.asked.append((tenant, run_on))
        if tenant in self.failing_once:
            self.failing_once.discard(tenant)
            raise ConnectionError("the database went away")
        if self.then is not None:
            return await self.then(run_on, tenant)
        return MonthRun(month_invoiced(run_on), [], [])


def _schedule(running: Running, runs: Runs, clock: Clock, tenants: tuple[str, ...]) -> GdcSchedule:
    return GdcSchedule(running.service.resources.pool, runs, tenants=tenants, clock=clock)


async def test_on_the_1st_in_paris_the_month_is_run_once_for_every_tenant(fresh: Running) -> None:
    runs = Runs()
    clock = Clock(datetime(2026, 11, 30, 22, 30, tzinfo=UTC))  # 23:30 on 30 November in Paris
    schedule = _schedule(fresh, runs, clock, EVERY_TENANT)
    assert await schedule.tick() == [(t, date(2026, 11, 1)) for t in EVERY_TENANT]  # November's, turned on

    clock.now = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # 00:30 on 1 December in Paris
    december = [(t, date(2026, 12, 1)) for t in EVERY_TENANT]
    assert await schedule.tick() == december
    clock.now += timedelta(hours=12)
    assert await schedule.tick() == []
    assert runs.asked[len(EVERY_TENANT) :] == december  # once each
    recorded = await fresh.service.resources.pool.fetchval(
        "SELECT count(*) FROM gdc_scheduled_runs WHERE run_on = '2026-12-01' AND month = '2026-11'"
    )
    assert recorded == len(EVERY_TENANT)


async def test_a_1st_missed_is_caught_up_on_the_2nd_and_invoices_the_month_once(fresh: Running) -> None:
    async def real_run(run_on: date, tenant: str) -> MonthRun:
        return await fresh.service.gdc.run_month(run_on, tenant=tenant, correlation_id="")

    association = await gdc.register_association(fresh, "73282932000074", "Les Ateliers Programmés")
    await gdc.signed_mandate(fresh, association, "GDC-PROGRAMME-1")
    payslips = [gdc.Payslip(association, "2026-11", 180_000, 250_000) for _ in range(2)]
    await gdc.publish_payslips(fresh, payslips)
    runs = Runs(then=real_run)
    clock = Clock(datetime(2026, 11, 15, 9, 0, tzinfo=UTC))
    schedule = _schedule(fresh, runs, clock, tuple(gdc_tenants()))
    assert await schedule.tick() == [(TENANT, date(2026, 11, 1))]  # October: nothing of this association

    clock.now = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)  # the worker was down on the 1st
    assert await schedule.tick() == [(TENANT, date(2026, 12, 1))]
    clock.now += timedelta(minutes=1)
    assert await schedule.tick() == []
    assert runs.asked == [(TENANT, date(2026, 11, 1)), (TENANT, date(2026, 12, 1))]
    months = await gdc.value(
        fresh.url, "SELECT count(*) FROM gdc_months WHERE employer_id = $1 AND month = '2026-11'", association
    )
    debits = await gdc.value(
        fresh.url,
        """SELECT count(*) FROM direct_debits d JOIN gdc_months m ON m.invoice_id = d.invoice_id
           WHERE m.employer_id = $1""",
        association,
    )
    assert (months, debits) == (1, 1)


async def test_a_failed_run_holds_back_no_other_tenant_and_is_tried_again_at_the_next_tick(
    fresh: Running,
) -> None:
    runs = Runs(failing_once={"coop-portage"})
    clock = Clock(datetime(2027, 2, 1, 6, 0, tzinfo=UTC))
    schedule = _schedule(fresh, runs, clock, ("smartfr", "coop-portage", "alterna"))
    first = date(2027, 2, 1)
    assert await schedule.tick() == [("smartfr", first), ("alterna", first)]
    clock.now += timedelta(minutes=1)
    assert await schedule.tick() == [("coop-portage", first)]
    assert await schedule.tick() == []


async def test_the_worker_runs_the_month_by_itself_unless_the_setting_turns_it_off(
    fresh: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    resources = fresh.service.resources
    monkeypatch.setenv("BILLING_GDC_MONTHLY_RUN_ENABLED", "false")
    off = Resources(Settings(database_url=fresh.url), resources.pool, resources.store)
    assert [work.__name__ for work in bootstrap.background(fresh.service, off)] == ["validator_pool"]

    monkeypatch.delenv("BILLING_GDC_MONTHLY_RUN_ENABLED")
    on = Resources(Settings(database_url=fresh.url), resources.pool, resources.store)
    [work] = [w for w in bootstrap.background(fresh.service, on) if w.__name__ == "gdc_monthly_run"]
    stop = asyncio.Event()
    running = asyncio.ensure_future(work(stop))  # under its leadership, with the real clock
    try:
        this_month = paris_today(datetime.now(UTC)).replace(day=1)

        async def run_recorded() -> bool:
            return bool(
                await gdc.value(
                    fresh.url,
                    "SELECT count(*) FROM gdc_scheduled_runs WHERE tenant = $1 AND run_on = $2",
                    TENANT,
                    this_month,
                )
            )

        await gdc.until(run_recorded)
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
