"""Composition root: the handlers members-svc's API and runners use, built from the running resources."""

from __future__ import annotations

from dataclasses import dataclass

from members_svc.domain import membership
from members_svc.domain.membership import (
    MemberAdmitted,
    MemberApplied,
    MemberDetailsChanged,
    MemberExcluded,
    MemberResigned,
    MembershipEvent,
)
from members_svc.integration.outbound import to_public
from members_svc.read_models.member_register import MemberRegister
from services import command_loop
from services.decider import Decider, EventCodec
from services.runtime import Resources
from services.telemetry import current_traceparent

CODEC: EventCodec[MembershipEvent] = EventCodec(
    {
        "MemberApplied": MemberApplied,
        "MemberDetailsChanged": MemberDetailsChanged,
        "MemberAdmitted": MemberAdmitted,
        "MemberResigned": MemberResigned,
        "MemberExcluded": MemberExcluded,
    }
)
MEMBERSHIP = Decider(membership.decide, membership.evolve, membership.initial_state)


@dataclass(frozen=True)
class Members:
    resources: Resources
    register: MemberRegister

    async def apply(self, command: membership.ApplyForMembership, *, tenant: str, correlation_id: str) -> int:
        version, _ = await self._handle(command, tenant=tenant, correlation_id=correlation_id)
        return version

    async def act_on_member(
        self,
        command: membership.ChangeMemberDetails
        | membership.AdmitMember
        | membership.ResignMembership
        | membership.ExcludeMember,
        *,
        tenant: str,
        correlation_id: str,
        expected_version: int | None,
    ) -> tuple[int, membership.RegisteredPerson]:
        version, state = await self._handle(
            command, tenant=tenant, correlation_id=correlation_id, expected_version=expected_version
        )
        assert isinstance(state, membership.RegisteredPerson)  # the decider refuses to act on no member
        return version, state

    async def _handle(
        self,
        command: membership.MembershipCommand,
        *,
        tenant: str,
        correlation_id: str,
        expected_version: int | None = None,
    ) -> tuple[int, membership.MembershipState]:
        handled = await command_loop.handle(
            self.resources.store,
            MEMBERSHIP,
            CODEC,
            membership.stream_id(command.member_id),
            command,
            tenant=tenant,
            metadata={"correlation_id": correlation_id, "traceparent": current_traceparent()},
            to_public=to_public,
            occurred_at=command.now,
            expected_version=expected_version,
        )
        return handled.version, handled.state


def build(resources: Resources) -> Members:
    return Members(resources=resources, register=MemberRegister(CODEC))
