"""The members contracts-svc may employ, kept from members-svc's public events (never from its database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from schemas.generated.members.member_applied_v1 import MemberAppliedV1
from services.envelope import Envelope
from services.log_reader import Conn

TOPIC = "members.events"


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


async def on_members_event(conn: Conn, envelope: Envelope) -> None:
    """The consumer of `members.events` that keeps this read model; it ignores what it does not know."""
    if envelope.event_type != "members.MemberApplied" or envelope.schema_version != 1:
        return
    applied = MemberAppliedV1.model_validate(envelope.data)
    await record_member(
        conn,
        tenant=envelope.tenant,
        member_id=applied.member_id,
        person_kind=applied.person_kind,
        applied_at=applied.applied_at,
    )
