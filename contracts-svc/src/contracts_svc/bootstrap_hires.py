"""Composition of the hire aggregate: its codec and decider, and the recorder of a hire's outcome."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from contracts_svc.domain import hires
from contracts_svc.domain.hires import (
    HireAccepted,
    HireEvent,
    HireRejected,
    HireState,
    Outcome,
    RecordHireOutcome,
)
from contracts_svc.integration.hires_outbound import to_public
from services import command_loop
from services.decider import Decider, EventCodec
from services.runtime import Resources
from services.telemetry import current_traceparent

HIRE_CODEC: EventCodec[HireEvent] = EventCodec({"HireAccepted": HireAccepted, "HireRejected": HireRejected})
HIRE = Decider(hires.decide, hires.evolve, hires.initial_state)


@dataclass(frozen=True)
class HireOutcomes:
    resources: Resources

    async def read(self, hire_id: UUID, *, tenant: str) -> tuple[int, HireState]:
        recorded = await self.resources.store.read_stream(hires.stream_id(hire_id), tenant=tenant)
        version = recorded[-1].stream_version if recorded else 0
        return version, HIRE.fold(HIRE_CODEC.decode(r) for r in recorded)

    async def outcome(self, hire_id: UUID, *, tenant: str) -> HireEvent | None:
        _, state = await self.read(hire_id, tenant=tenant)
        return state.event if isinstance(state, Outcome) else None

    async def record(
        self,
        command: RecordHireOutcome,
        *,
        tenant: str,
        correlation_id: str,
        read: tuple[int, HireState] | None = None,
    ) -> HireEvent:
        """The first outcome recorded for the hire (this one, or the one a previous delivery recorded).
        `read`: the hire's stream as the caller read it (a delivery recorded since makes the append
        conflict, and the retry reads and answers that one's outcome)."""
        handled = await command_loop.handle(
            self.resources.store,
            HIRE,
            HIRE_CODEC,
            hires.stream_id(command.hire_id),
            command,
            tenant=tenant,
            metadata={"correlation_id": correlation_id or None, "traceparent": current_traceparent()},
            to_public=to_public,
            occurred_at=command.now,
            retries_on_conflict=1,
            read=read,
        )
        assert isinstance(handled.state, Outcome)
        return handled.state.event
