"""The consumer of billing-svc's answers to budget reservations (ADR 016): each becomes the contract's
`AnswerBudgetReservation`, decided and appended in the inbox's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from contracts_svc.bootstrap import CODEC, CONTRACT
from contracts_svc.domain import contracts
from contracts_svc.integration.budget import answer_of
from contracts_svc.integration.outbound import to_public
from services import command_loop
from services.envelope import Envelope
from services.eventstore.store import EventStore
from services.log_reader import Conn
from services.telemetry import current_traceparent

BILLING_TOPIC = "billing.events"


@dataclass(frozen=True)
class BudgetAnswers:
    store: EventStore

    async def on_billing_event(self, conn: Conn, envelope: Envelope) -> None:
        now = datetime.now(UTC)
        command = answer_of(envelope.event_type, envelope.schema_version, envelope.data, now)
        if command is None:
            return
        await command_loop.handle(
            self.store,
            CONTRACT,
            CODEC,
            contracts.stream_id(command.contract_id),
            command,
            tenant=envelope.tenant,
            metadata={
                "correlation_id": envelope.correlation_id,
                "causation_id": envelope.event_id,
                # The span processing this message, so what it causes is a child of it (not a sibling).
                "traceparent": current_traceparent() or envelope.traceparent,
            },
            to_public=to_public,
            occurred_at=now,
            conn=conn,
        )
