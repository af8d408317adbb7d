"""Composition of the employer structure aggregate: codec, decider, and the handler its API calls."""

from __future__ import annotations

from dataclasses import dataclass

from members_svc.domain import employers
from members_svc.domain.employers import (
    EmployerStructureClosed,
    EmployerStructureEvent,
    EmployerStructureRegistered,
    EmployerStructureReinstated,
    EmployerStructureSuspended,
    WebhookSecretIssued,
)
from members_svc.integration.employers_outbound import to_public
from services import command_loop
from services.decider import Decider, EventCodec
from services.runtime import Resources
from services.telemetry import current_traceparent

EMPLOYER_CODEC: EventCodec[EmployerStructureEvent] = EventCodec(
    {
        "EmployerStructureRegistered": EmployerStructureRegistered,
        "EmployerStructureSuspended": EmployerStructureSuspended,
        "EmployerStructureReinstated": EmployerStructureReinstated,
        "EmployerStructureClosed": EmployerStructureClosed,
        "WebhookSecretIssued": WebhookSecretIssued,
    }
)
EMPLOYER_EVENT_TYPES = frozenset(
    {
        "EmployerStructureRegistered",
        "EmployerStructureSuspended",
        "EmployerStructureReinstated",
        "EmployerStructureClosed",
        "WebhookSecretIssued",
    }
)
EMPLOYER_STRUCTURE = Decider(employers.decide, employers.evolve, employers.initial_state)


@dataclass(frozen=True)
class EmployerStructures:
    resources: Resources

    async def handle(
        self,
        command: employers.EmployerStructureCommand,
        *,
        tenant: str,
        correlation_id: str,
        expected_version: int | None = None,
    ) -> tuple[int, employers.EmployerStructure]:
        handled = await command_loop.handle(
            self.resources.store,
            EMPLOYER_STRUCTURE,
            EMPLOYER_CODEC,
            employers.stream_id(command.employer_structure_id),
            command,
            tenant=tenant,
            metadata={"correlation_id": correlation_id, "traceparent": current_traceparent()},
            to_public=to_public,
            occurred_at=command.now,
            expected_version=expected_version,
        )
        state = handled.state
        assert isinstance(state, employers.EmployerStructure)  # every command leaves a registered structure
        return handled.version, state
