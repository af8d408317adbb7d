"""/v1/contract_statistics: the "Production de projets" figures of the caller's cooperative for a period."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from gateway.auth.dependencies import require
from gateway.routes.dates import QueryDate
from gateway.routes.upstreams import ServiceUpstreams
from gateway.upstream import passed_through, query
from services.http import problem_responses
from services.internal_token import Caller

router = APIRouter(tags=["contracts"])


class Figures(BaseModel):
    contracts: int = Field(description="Employment contracts hired (DPAE acknowledged), not cancelled, "
                           "running on some day of the period.")  # fmt: skip
    people: int = Field(description="Distinct persons employed under them.")
    work_days: int = Field(description="Days worked within the period, summed over the contracts.")
    hours: str = Field(description="Hours worked within the period, decimal with 2 places.")
    days_per_contract: str | None = Field(description="work_days / contracts, 2 places; null if none.")
    contracts_per_person: str | None = Field(description="contracts / people, 2 places; null if none.")


class Group(Figures):
    key: str = Field(description="The gender (F, M), age band at hiring (under_25, 25_34, 35_44, 45_54, "
                     "55_and_over) or sector; `unknown` when not known.")  # fmt: skip


class ContractStatistics(Figures):
    object: Literal["contract_statistics"] = "contract_statistics"
    period_from: date
    period_to: date
    by_gender: list[Group]
    by_age_band: list[Group]
    by_sector: list[Group]


@router.get(
    "/v1/contract_statistics",
    response_model=ContractStatistics,
    summary="The Production de projets statistics",
    description=(
        "The activity report's figures for a period (default: the current calendar year, or the year of "
        "`period_from`): contracts, people, work days, hours, days per contract, contracts per person, and "
        "the same by gender, age band at hiring and sector. Gender and age band are coarse attributes kept "
        "from the DPAE, not the identity. A person counted under two groups (two sectors) is in each."
    ),
    responses=problem_responses(400, 401, 403),
)
async def read_contract_statistics(
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("contracts:read")],
    period_from: QueryDate = None,
    period_to: QueryDate = None,
) -> Response:
    params = query(
        period_from=None if period_from is None else period_from.isoformat(),
        period_to=None if period_to is None else period_to.isoformat(),
    )
    answer = await upstreams.contracts.call("GET", "/internal/contract_statistics", caller, params=params)
    return passed_through(answer)
