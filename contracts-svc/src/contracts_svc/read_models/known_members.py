"""The members contracts-svc may employ, kept from members-svc's public events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.log_reader import Conn


@dataclass(frozen=True)
class KnownMember:
    member_id: UUID
    person_kind: str
    applied_at: datetime
    recorded_at: datetime


async def record_member(
    conn: Conn, *, tenant: str, member_id: UUID, person_kind: str, applied_at: datetime
) -> None:
    await conn.execute(
        """INSERT INTO known_members (tenant, member_id, person_kind, applied_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (tenant, member_id) DO NOTHING""",
        tenant,
        member_id,
        person_kind,
        applied_at,
    )


async def find_known_member(conn: Conn, tenant: str, member_id: UUID) -> KnownMember | None:
    row = await conn.fetchrow(
        """SELECT member_id, person_kind, applied_at, recorded_at FROM known_members
           WHERE tenant = $1 AND member_id = $2""",
        tenant,
        member_id,
    )
    return None if row is None else KnownMember(**dict(row))
