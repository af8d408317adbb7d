"""The "Production de projets" statistics of a tenant for a period (the seed's activity-report table).

Counted: the employment contracts hired (DPAE acknowledged), not cancelled, that run on some day of the period
(from their start to their completion, else their end; open-ended for a CDI). Their work days and hours are
those reported on Paris days within the period. People are distinct members. The same figures are given by
gender, age band (at hiring) and sector; a person counted in two bands (two contracts either side of a
birthday, two sectors) is a person of each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from contracts_svc.domain.contracts import (
    ContractCancelled,
    ContractCompleted,
    ContractDrafted,
    ContractEvent,
    ContractRenewed,
    HireDeclared,
    WorkReported,
)
from contracts_svc.domain.contracts.calendar import paris_day
from services.decider import EventCodec
from services.eventstore.types import RecordedEvent
from services.log_reader import Conn

UNKNOWN = "unknown"  # a contract hired before the attributes were kept, or without a sector


class ContractStatisticsProjection:
    name = "contract_statistics"

    def __init__(self, codec: EventCodec[ContractEvent]) -> None:
        self._codec = codec

    async def handle(self, conn: Conn, event: RecordedEvent) -> None:
        if not self._codec.knows(event.event_type):
            return
        decoded = self._codec.decode(event)
        tenant = event.tenant
        match decoded:
            case ContractDrafted():
                await conn.execute(
                    """INSERT INTO contract_statistics
                         (tenant, contract_id, member_id, contract_type, sector, starts_on, ends_on)
                       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant, contract_id) DO NOTHING""",
                    tenant,
                    decoded.contract_id,
                    decoded.member_id,
                    decoded.contract_type,
                    decoded.sector,
                    paris_day(decoded.starts_at),
                    decoded.ends_on,
                )
            case HireDeclared():
                await _update(
                    conn, tenant, decoded.contract_id, "hired = true, gender = $3, age_band = $4",
                    decoded.gender, decoded.age_band,
                )  # fmt: skip
            case ContractRenewed():
                await _update(conn, tenant, decoded.contract_id, "ends_on = $3", decoded.ends_on)
            case ContractCompleted():
                await _update(conn, tenant, decoded.contract_id, "completed_on = $3", decoded.completed_on)
            case ContractCancelled():
                await _update(conn, tenant, decoded.contract_id, "cancelled = true")
            case WorkReported():
                minutes: dict[date, int] = defaultdict(int)
                for period in decoded.periods:
                    minutes[paris_day(period.starts_at)] += int(
                        (period.ends_at - period.starts_at).total_seconds() // 60
                    )
                await conn.executemany(
                    """INSERT INTO contract_work_days (tenant, contract_id, stream_version, day, minutes)
                       VALUES ($1, $2, $3, $4, $5)
                       ON CONFLICT (tenant, contract_id, stream_version, day) DO NOTHING""",
                    [(tenant, decoded.contract_id, event.stream_version, d, m) for d, m in minutes.items()],
                )

    async def reset(self, conn: Conn) -> None:
        await conn.execute("TRUNCATE contract_statistics, contract_work_days")


async def _update(conn: Conn, tenant: str, contract_id: UUID, change: str, *values: Any) -> None:
    await conn.execute(
        f"UPDATE contract_statistics SET {change} WHERE tenant = $1 AND contract_id = $2",
        tenant,
        contract_id,
        *values,
    )


@dataclass(frozen=True)
class CountedContract:
    """One contract counted in the period, with its work in the period."""

    contract_id: UUID
    member_id: UUID
    gender: str
    age_band: str
    sector: str
    work_days: int
    minutes: int


@dataclass(frozen=True)
class Figures:
    contracts: int
    people: int
    work_days: int
    minutes: int


@dataclass(frozen=True)
class Statistics:
    total: Figures
    by_gender: dict[str, Figures]
    by_age_band: dict[str, Figures]
    by_sector: dict[str, Figures]


async def counted_contracts(conn: Conn | Any, tenant: str, first: date, last: date) -> list[CountedContract]:
    rows = await conn.fetch(
        """SELECT s.contract_id, s.member_id,
                  COALESCE(s.gender, $4) AS gender, COALESCE(s.age_band, $4) AS age_band,
                  COALESCE(s.sector, $4) AS sector,
                  count(DISTINCT w.day)::int AS work_days, COALESCE(sum(w.minutes), 0)::int AS minutes
           FROM contract_statistics s
           LEFT JOIN contract_work_days w
             ON w.tenant = s.tenant AND w.contract_id = s.contract_id AND w.day BETWEEN $2 AND $3
           WHERE s.tenant = $1 AND s.hired AND NOT s.cancelled AND s.starts_on <= $3
             AND COALESCE(s.completed_on, s.ends_on, 'infinity'::date) >= $2
           GROUP BY s.contract_id, s.member_id, s.gender, s.age_band, s.sector""",
        tenant,
        first,
        last,
        UNKNOWN,
    )
    return [CountedContract(**dict(row)) for row in rows]


def figures_of(contracts: Iterable[CountedContract]) -> Figures:
    counted = list(contracts)
    return Figures(
        contracts=len(counted),
        people=len({c.member_id for c in counted}),
        work_days=sum(c.work_days for c in counted),
        minutes=sum(c.minutes for c in counted),
    )


def statistics_of(contracts: list[CountedContract]) -> Statistics:
    def by(key: Callable[[CountedContract], str]) -> dict[str, Figures]:
        groups: dict[str, list[CountedContract]] = defaultdict(list)
        for contract in contracts:
            groups[key(contract)].append(contract)
        return {name: figures_of(group) for name, group in sorted(groups.items())}

    return Statistics(
        total=figures_of(contracts),
        by_gender=by(lambda c: c.gender),
        by_age_band=by(lambda c: c.age_band),
        by_sector=by(lambda c: c.sector),
    )
