"""The work each person reported, under every contract and employer: what the working-time limits read.

Kept two ways, idempotent on (contract, stream version, period): in the reporting command's transaction,
under a per-person lock, so the next report of the same person (at any employer) sees it at once; and by the
projection runner, so a rebuild from the events restores it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from contracts_svc.domain.contracts import ContractEvent, WorkPeriod, WorkReported
from services.decider import EventCodec
from services.eventstore.types import RecordedEvent
from services.log_reader import Conn

# How far around a report the limits look: the 12-week average reaches 11 weeks either side, plus a day.
HORIZON = timedelta(weeks=12, days=1)


async def lock_person(conn: Conn, tenant: str, member_id: UUID) -> None:
    """Serialises reports of one person in the transaction (two employers reporting at once)."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"worked:{tenant}:{member_id}"
    )


async def record(conn: Conn, tenant: str, stream_version: int, event: WorkReported) -> None:
    await conn.executemany(
        """INSERT INTO worked_time
             (tenant, member_id, contract_id, employer_id, stream_version, period, starts_at, ends_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (tenant, contract_id, stream_version, period) DO NOTHING""",
        [
            (
                tenant,
                event.parties.member_id,
                event.contract_id,
                event.parties.employer_id,
                stream_version,
                index,
                period.starts_at,
                period.ends_at,
            )
            for index, period in enumerate(event.periods)
        ],
    )


async def worked_around(
    conn: Conn, tenant: str, member_id: UUID, first: datetime, last: datetime
) -> tuple[WorkPeriod, ...]:
    """The person's reported work from `first - HORIZON` to `last + HORIZON`, every employer."""
    rows = await conn.fetch(
        """SELECT starts_at, ends_at FROM worked_time
           WHERE tenant = $1 AND member_id = $2 AND ends_at > $3 AND starts_at < $4
           ORDER BY starts_at""",
        tenant,
        member_id,
        first - HORIZON,
        last + HORIZON,
    )
    return tuple(WorkPeriod(starts_at=row["starts_at"], ends_at=row["ends_at"]) for row in rows)


class WorkedTime:
    """The projection that rebuilds `worked_time` from WorkReported events."""

    name = "worked_time"

    def __init__(self, codec: EventCodec[ContractEvent]) -> None:
        self._codec = codec

    async def handle(self, conn: Conn, event: RecordedEvent) -> None:
        if event.event_type != "WorkReported":
            return
        reported = self._codec.decode(event)
        assert isinstance(reported, WorkReported)
        await record(conn, event.tenant, event.stream_version, reported)

    async def reset(self, conn: Conn) -> None:
        await conn.execute("TRUNCATE worked_time")
