"""The contracts as the API lists them: by member, employer, period and status; and the last CDD on a post."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from contracts_svc.domain.contracts import (
    ContractCancelled,
    ContractCompleted,
    ContractDrafted,
    ContractEvent,
    ContractRenewed,
    ContractSigned,
    HireDeclared,
    LateHireDeclarationFlagged,
    PreviousContract,
    WorkReported,
)
from contracts_svc.domain.contracts.calendar import paris_day
from services.decider import EventCodec
from services.eventstore.types import RecordedEvent
from services.log_reader import Conn

COLUMNS = """contract_id, member_id, employer_id, employer_kind, employer_name, contract_type, job_title,
             sector, starts_at, ends_on, status, acknowledgement_id, late_declaration, minutes_worked,
             days_worked, completed_on, drafted_at, version"""


@dataclass(frozen=True)
class ListedContract:
    contract_id: UUID
    member_id: UUID
    employer_id: UUID
    employer_kind: str
    employer_name: str
    contract_type: str
    job_title: str
    sector: str | None
    starts_at: datetime
    ends_on: date | None
    status: str
    acknowledgement_id: str | None
    late_declaration: bool
    minutes_worked: int
    days_worked: int
    completed_on: date | None
    drafted_at: datetime
    version: int


class ContractDirectory:
    name = "contract_directory"

    def __init__(self, codec: EventCodec[ContractEvent]) -> None:
        self._codec = codec

    async def handle(self, conn: Conn, event: RecordedEvent) -> None:
        if not self._codec.knows(event.event_type):
            return
        decoded = self._codec.decode(event)
        if isinstance(decoded, ContractDrafted):
            await conn.execute(
                """INSERT INTO contract_directory
                     (tenant, contract_id, member_id, employer_id, employer_kind, employer_name,
                      contract_type, job_title, sector, starts_at, starts_on, ends_on, status, drafted_at,
                      version)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'drafted', $13, $14)
                   ON CONFLICT (tenant, contract_id) DO NOTHING""",
                event.tenant,
                decoded.contract_id,
                decoded.member_id,
                decoded.employer.employer_id,
                decoded.employer.kind,
                decoded.employer.legal_name,
                decoded.contract_type,
                decoded.job_title,
                decoded.sector,
                decoded.starts_at,
                paris_day(decoded.starts_at),
                decoded.ends_on,
                decoded.drafted_at,
                event.stream_version,
            )
            return
        change, values = _change_of(decoded)
        await conn.execute(
            f"UPDATE contract_directory SET version = $3{change} WHERE tenant = $1 AND contract_id = $2",
            event.tenant,
            decoded.contract_id,
            event.stream_version,
            *values,
        )

    async def reset(self, conn: Conn) -> None:
        await conn.execute("TRUNCATE contract_directory")


def _change_of(event: ContractEvent) -> tuple[str, list[Any]]:
    """The SET clause (after `version`) an event makes, its values numbered from $4."""
    match event:
        case HireDeclared():
            return ", status = 'hire_declared', acknowledgement_id = $4", [event.acknowledgement_id]
        case LateHireDeclarationFlagged():
            return ", late_declaration = true", []
        case ContractSigned():
            return ", status = 'signed'", []
        case WorkReported():
            return (
                ", minutes_worked = minutes_worked + $4, days_worked = days_worked + $5",
                [event.minutes, len(event.days)],
            )
        case ContractRenewed():
            return ", ends_on = $4", [event.ends_on]
        case ContractCompleted():
            return ", status = 'completed', completed_on = $4", [event.completed_on]
        case ContractCancelled():
            return ", status = 'cancelled'", []
    return "", []


@dataclass(frozen=True)
class ContractFilter:
    member_id: UUID | None = None
    employer_id: UUID | None = None
    status: str | None = None
    contract_type: str | None = None
    period_from: date | None = None  # contracts running on some day of [period_from, period_to]
    period_to: date | None = None


async def list_contracts(
    conn: Conn | Any, tenant: str, filters: ContractFilter, *, after: UUID | None, limit: int
) -> list[ListedContract]:
    rows = await conn.fetch(
        f"""SELECT {COLUMNS} FROM contract_directory
           WHERE tenant = $1
             AND ($2::uuid IS NULL OR contract_id > $2)
             AND ($3::uuid IS NULL OR member_id = $3)
             AND ($4::uuid IS NULL OR employer_id = $4)
             AND ($5::text IS NULL OR status = $5)
             AND ($6::text IS NULL OR contract_type = $6)
             AND ($7::date IS NULL OR ends_on IS NULL OR COALESCE(completed_on, ends_on) >= $7)
             AND ($8::date IS NULL OR starts_on <= $8)
           ORDER BY contract_id
           LIMIT $9""",
        tenant,
        after,
        filters.member_id,
        filters.employer_id,
        filters.status,
        filters.contract_type,
        filters.period_from,
        filters.period_to,
        limit,
    )
    return [ListedContract(**dict(row)) for row in rows]


async def find_contract(conn: Conn | Any, tenant: str, contract_id: UUID) -> ListedContract | None:
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM contract_directory WHERE tenant = $1 AND contract_id = $2",
        tenant,
        contract_id,
    )
    return None if row is None else ListedContract(**dict(row))


async def previous_on_post(
    conn: Conn | Any, tenant: str, employer_id: UUID, job_title: str, before: date
) -> PreviousContract | None:
    """The last CDD on the same post (employer and job title) that ended before `before`, not cancelled."""
    row = await conn.fetchrow(
        """SELECT contract_id, contract_type, starts_on, COALESCE(completed_on, ends_on) AS ends_on
           FROM contract_directory
           WHERE tenant = $1 AND employer_id = $2 AND lower(job_title) = lower($3) AND contract_type = 'cdd'
             AND status <> 'cancelled' AND COALESCE(completed_on, ends_on) < $4
           ORDER BY COALESCE(completed_on, ends_on) DESC LIMIT 1""",
        tenant,
        employer_id,
        job_title.strip(),
        before,
    )
    return None if row is None else PreviousContract(**dict(row))
