"""The register of members as the API lists and reads it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from members_svc.domain.membership import (
    MemberAdmitted,
    MemberApplied,
    MemberDetailsChanged,
    MemberExcluded,
    MemberResigned,
    MembershipEvent,
)
from services.decider import EventCodec
from services.eventstore.types import RecordedEvent
from services.log_reader import Conn


@dataclass(frozen=True)
class RegisteredMember:
    member_id: UUID
    person_kind: str
    display_name: str
    category: int | None
    status: str
    applied_at: datetime
    version: int
    admitted_on: date | None = None
    left_on: date | None = None


class MemberRegister:
    """Projection of the membership events into `member_register`."""

    name = "member_register"

    def __init__(self, codec: EventCodec[MembershipEvent]) -> None:
        self._codec = codec

    async def handle(self, conn: Conn, event: RecordedEvent) -> None:
        if not self._codec.knows(event.event_type):
            return  # another aggregate's event in the service's log
        match self._codec.decode(event):
            case MemberApplied() as applied:
                await conn.execute(
                    """INSERT INTO member_register
                         (tenant, member_id, person_kind, display_name, category, status, applied_at, version)
                       VALUES ($1, $2, $3, $4, $5, 'applied', $6, $7)
                       ON CONFLICT (tenant, member_id) DO NOTHING""",
                    event.tenant,
                    applied.member_id,
                    applied.person_kind,
                    applied.display_name,
                    applied.category,
                    applied.applied_at,
                    event.stream_version,
                )

            case MemberDetailsChanged() as changed:
                await conn.execute(
                    """UPDATE member_register SET
                         display_name = coalesce($3, display_name),
                         category = coalesce($4, category),
                         version = $5
                       WHERE tenant = $1 AND member_id = $2""",
                    event.tenant,
                    changed.member_id,
                    changed.display_name,
                    changed.category,
                    event.stream_version,
                )

            case MemberAdmitted() as admitted:
                await self._moved(conn, event, admitted.member_id, "admitted", admitted=admitted.admitted_on)
            case MemberResigned() as resigned:
                await self._moved(conn, event, resigned.member_id, "resigned", left=resigned.resigned_on)
            case MemberExcluded() as excluded:
                await self._moved(conn, event, excluded.member_id, "excluded", left=excluded.excluded_on)

    async def _moved(
        self,
        conn: Conn,
        event: RecordedEvent,
        member_id: UUID,
        status: str,
        *,
        admitted: date | None = None,
        left: date | None = None,
    ) -> None:
        """The new status, with the date of the admission or of the leaving."""
        await conn.execute(
            """UPDATE member_register SET status = $3, version = $4,
                 admitted_on = coalesce($5, admitted_on), left_on = coalesce($6, left_on)
               WHERE tenant = $1 AND member_id = $2""",
            event.tenant,
            member_id,
            status,
            event.stream_version,
            admitted,
            left,
        )

    async def reset(self, conn: Conn) -> None:
        await conn.execute("TRUNCATE member_register")


async def find_member(conn: Conn | Any, tenant: str, member_id: UUID) -> RegisteredMember | None:
    row = await conn.fetchrow(
        """SELECT member_id, person_kind, display_name, category, status, applied_at, version,
                  admitted_on, left_on
           FROM member_register WHERE tenant = $1 AND member_id = $2""",
        tenant,
        member_id,
    )
    return None if row is None else RegisteredMember(**dict(row))


@dataclass(frozen=True)
class MemberFilter:
    status: str | None = None
    category: int | None = None
    person_kind: str | None = None


async def list_members(
    conn: Conn | Any, tenant: str, filters: MemberFilter, *, after: UUID | None, limit: int
) -> list[RegisteredMember]:
    """A page in id order (UUIDv7: the order of application), after the cursor's member."""
    rows = await conn.fetch(
        """SELECT member_id, person_kind, display_name, category, status, applied_at, version,
                  admitted_on, left_on
           FROM member_register
           WHERE tenant = $1
             AND ($2::uuid IS NULL OR member_id > $2)
             AND ($3::text IS NULL OR status = $3)
             AND ($4::int IS NULL OR category = $4)
             AND ($5::text IS NULL OR person_kind = $5)
           ORDER BY member_id
           LIMIT $6""",
        tenant,
        after,
        filters.status,
        filters.category,
        filters.person_kind,
        limit,
    )
    return [RegisteredMember(**dict(row)) for row in rows]
