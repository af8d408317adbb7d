"""Composition of the employer structure aggregate: codec, decider, and the handler its API calls."""

from __future__ import annotations

from dataclasses import dataclass

from members_svc.command_runner import CommandRunner
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
from services.decider import Decider, EventCodec
from services.runtime import Resources

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

    async def check(self, command: employers.EmployerStructureCommand, *, tenant: str) -> None:
        """Decide `command` on the structure's stream without appending: raises the refusal it would meet."""
        recorded = await self.resources.store.read_stream(
            employers.stream_id(command.employer_structure_id), tenant=tenant
        )
        state = EMPLOYER_STRUCTURE.fold(EMPLOYER_CODEC.decode(r) for r in recorded)
        EMPLOYER_STRUCTURE.decide(command, state)

    async def handle(
        self,
        command: employers.EmployerStructureCommand,
        *,
        tenant: str,
        correlation_id: str,
        expected_version: int | None = None,
    ) -> tuple[int, employers.EmployerStructure]:
        runner = CommandRunner(
            self.resources.store,
            EMPLOYER_STRUCTURE,
            EMPLOYER_CODEC,
            lambda c: employers.stream_id(c.employer_structure_id),
            to_public,
        )
        handled = await runner.run(
            command, tenant=tenant, correlation_id=correlation_id, expected_version=expected_version
        )
        state = handled.state
        assert isinstance(state, employers.EmployerStructure)  # every command leaves a registered structure
        return handled.version, state
