"""The "Production de projets" statistics of the caller's tenant for a period (internal API)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from contracts_svc.api.dto import QueryDate
from contracts_svc.domain.contracts.calendar import paris_day
from contracts_svc.read_models.contract_statistics import Figures, counted_contracts, statistics_of
from services.caller import CurrentCaller, ServiceResources, require_scope
from services.http import Problem
from services.tenancy import tenant_transaction

router = APIRouter(prefix="/internal")
TO = "query.period_to"
MAX_DAYS = 3 * 366  # a period of at most three years: the report compares years


class FiguresOut(BaseModel):
    contracts: int
    people: int
    work_days: int
    hours: str  # decimal hours, 2 places
    days_per_contract: str | None  # 2 places, half up; null when no contract
    contracts_per_person: str | None


class GroupOut(FiguresOut):
    key: str


class ContractStatisticsOut(FiguresOut):
    object: Literal["contract_statistics"] = "contract_statistics"
    period_from: date
    period_to: date
    by_gender: list[GroupOut]
    by_age_band: list[GroupOut]
    by_sector: list[GroupOut]


def _ratio(numerator: int, denominator: int) -> str | None:
    if denominator == 0:
        return None
    return str((Decimal(numerator) / denominator).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _figures(figures: Figures) -> dict[str, object]:
    return {
        "contracts": figures.contracts,
        "people": figures.people,
        "work_days": figures.work_days,
        "hours": str((Decimal(figures.minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
        "days_per_contract": _ratio(figures.work_days, figures.contracts),
        "contracts_per_person": _ratio(figures.contracts, figures.people),
    }


def _groups(groups: dict[str, Figures]) -> list[GroupOut]:
    return [GroupOut(key=key, **_figures(figures)) for key, figures in groups.items()]


@router.get("/contract_statistics")
async def read_statistics(
    caller: CurrentCaller,
    resources: ServiceResources,
    period_from: QueryDate = None,
    period_to: QueryDate = None,
) -> ContractStatisticsOut:
    require_scope(caller, "contracts:read")
    this_year = paris_day(datetime.now(UTC)).year
    first = period_from or date(this_year, 1, 1)
    last = period_to or date(first.year, 12, 31)
    if last < first:
        raise Problem(400, "invalid_period", detail="period_to is before period_from", param=TO)
    if (last - first).days >= MAX_DAYS:
        raise Problem(400, "invalid_period", detail="a period spans 3 years at most", param=TO)
    async with tenant_transaction(resources.pool, caller.tenant) as conn:
        counted = await counted_contracts(conn, caller.tenant, first, last)
    stats = statistics_of(counted)
    return ContractStatisticsOut(
        period_from=first,
        period_to=last,
        **_figures(stats.total),
        by_gender=_groups(stats.by_gender),
        by_age_band=_groups(stats.by_age_band),
        by_sector=_groups(stats.by_sector),
    )
