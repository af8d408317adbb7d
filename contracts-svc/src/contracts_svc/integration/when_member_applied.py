"""When a member applies (members-svc), contracts-svc learns of a person it may one day employ."""

from __future__ import annotations

from contracts_svc.read_models.known_members import record_member
from schemas.generated.members.member_applied_v1 import MemberAppliedV1
from services.envelope import Envelope
from services.log_reader import Conn

TOPIC = "members.events"


async def when_member_applied(conn: Conn, envelope: Envelope) -> None:
    if envelope.event_type != "members.MemberApplied" or envelope.schema_version != 1:
        return  # consumers ignore what they do not know
    applied = MemberAppliedV1.model_validate(envelope.data)
    await record_member(
        conn,
        tenant=envelope.tenant,
        member_id=applied.member_id,
        person_kind=applied.person_kind,
        applied_at=applied.applied_at,
    )
