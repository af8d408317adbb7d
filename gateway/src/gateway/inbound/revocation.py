"""Revoke an employer structure's inbound webhook secrets when members-svc says it is suspended or closed.

A consumer of `members.events` (members.EmployerStructureStatusChanged v1): the structure's secrets end at
once, so a suspended or closed association can push nothing more. Reinstating does not bring them back: the
association is issued a new secret. Runs in the consumer's transaction, with its inbox (exactly once).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from gateway.inbound.sources import revoke_secrets, source_of_employer_structure
from schemas.generated.members.employer_structure_status_changed_v1 import EmployerStructureStatusChangedV1
from services.consumer import Handler
from services.envelope import Envelope
from services.log_reader import Conn
from services.runtime import SHORT_HANDLERS_TOGETHER, Consumer

CONSUMER = "gateway-inbound-sources"
TOPICS = ("members.events",)
STATUS_CHANGED = ("members.EmployerStructureStatusChanged", 1)
REVOKING = frozenset({"suspended", "closed"})


def revoke_when_deactivated(clock: Callable[[], datetime]) -> Handler:
    async def handle(conn: Conn, envelope: Envelope) -> None:
        if (envelope.event_type, envelope.schema_version) != STATUS_CHANGED:
            return
        changed = EmployerStructureStatusChangedV1.model_validate(envelope.data)
        if changed.status not in REVOKING:
            return
        source_id = source_of_employer_structure(changed.employer_structure_id)
        await revoke_secrets(conn, tenant=envelope.tenant, source_id=source_id, now=clock())

    return handle


def consumers(service: object) -> Sequence[Consumer]:
    handle = revoke_when_deactivated(lambda: datetime.now(UTC))
    return [Consumer(CONSUMER, TOPICS, handle, messages_per_transaction=SHORT_HANDLERS_TOGETHER)]
