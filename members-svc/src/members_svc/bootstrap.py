"""Composition root: the handlers members-svc's API and runners use, built from the running resources."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from members_svc.command_runner import CommandRunner
from members_svc.config import Settings
from members_svc.domain import membership
from members_svc.domain.membership import (
    MemberAdmitted,
    MemberApplied,
    MemberDetailsChanged,
    MemberExcluded,
    MemberResigned,
    MembershipEvent,
    PersonalDataErased,
    PersonalDataRecorded,
)
from members_svc.domain.personal_data import Sealer
from members_svc.integration.outbound import to_public
from members_svc.keyring import DataKey, KeyEncryptionKey, Keyring
from members_svc.read_models.member_register import MemberRegister
from members_svc.read_models.personal_data import PersonalDataFile, read_personal_data
from services.decider import Decider, EventCodec
from services.log_reader import Conn
from services.runtime import Resources

CODEC: EventCodec[MembershipEvent] = EventCodec(
    {
        "MemberApplied": MemberApplied,
        "MemberDetailsChanged": MemberDetailsChanged,
        "MemberAdmitted": MemberAdmitted,
        "MemberResigned": MemberResigned,
        "MemberExcluded": MemberExcluded,
        "PersonalDataRecorded": PersonalDataRecorded,
        "PersonalDataErased": PersonalDataErased,
    }
)
MEMBERSHIP = Decider(membership.decide, membership.evolve, membership.initial_state)


@dataclass(frozen=True)
class Members:
    resources: Resources
    register: MemberRegister
    keyring: Keyring

    async def apply(
        self, command: membership.ApplyForMembership, key: DataKey, *, tenant: str, correlation_id: str
    ) -> tuple[int, membership.RegisteredPerson]:
        """`key` is the applicant's new data key (it sealed the command's fields): kept with the events.

        The member's id comes from the request's key: a stream already there is this application, recorded
        by an earlier run of the same request whose answer was lost. It is answered as it stands, and
        nothing is saved or appended again (ADR 023)."""
        async with self.resources.pool.acquire() as conn, conn.transaction():
            version, state = await self._current(command.member_id, tenant=tenant, conn=conn)
            if isinstance(state, membership.NoMembership):
                await self.keyring.save(conn, tenant, command.member_id, key)
                version, state = await self._handle(
                    command, tenant=tenant, correlation_id=correlation_id, conn=conn, new_stream=True
                )
        assert isinstance(state, membership.RegisteredPerson)  # an application leaves a registered person
        return version, state

    async def act_sealed(
        self,
        member_id: UUID,
        command_sealed_with: Callable[
            [Sealer], membership.ChangeMemberDetails | membership.RecordPersonalData
        ],
        *,
        tenant: str,
        correlation_id: str,
        expected_version: int | None,
    ) -> tuple[int, membership.RegisteredPerson]:
        """A command that seals personal data with the member's key (made now for a member who had none)."""
        async with self.resources.pool.acquire() as conn, conn.transaction():
            key = await self.keyring.find(conn, tenant, member_id)
            if key is None:  # an erased member's command is refused by the decider, and this rolled back
                key = DataKey.new(tenant, member_id)
                await self.keyring.save(conn, tenant, member_id, key)
            version, state = await self._handle(
                command_sealed_with(key.seal),
                tenant=tenant,
                correlation_id=correlation_id,
                expected_version=expected_version,
                conn=conn,
            )
        assert isinstance(state, membership.RegisteredPerson)  # the decider refuses to act on no member
        return version, state

    async def personal_data(
        self, tenant: str, member_id: UUID, conn: Conn | None = None
    ) -> PersonalDataFile | None:
        if conn is None:
            async with self.resources.pool.acquire() as acquired:
                return await self.personal_data(tenant, member_id, acquired)
        store, keyring = self.resources.store, self.keyring
        return await read_personal_data(conn, store, keyring, CODEC, tenant, member_id)

    async def display_name(self, tenant: str, member_id: UUID) -> str | None:
        found = await self.personal_data(tenant, member_id)
        name = found.values.get("display_name") if found else None
        return name if isinstance(name, str) else None

    async def erase(
        self, command: membership.ErasePersonalData, *, tenant: str, correlation_id: str
    ) -> tuple[int, membership.RegisteredPerson]:
        """Crypto-shredding: the key is deleted in the transaction that records the erasure."""
        async with self.resources.pool.acquire() as conn, conn.transaction():
            version, state = await self._handle(
                command, tenant=tenant, correlation_id=correlation_id, conn=conn
            )
            await self.keyring.delete(conn, tenant, command.member_id)
        assert isinstance(state, membership.RegisteredPerson)
        return version, state

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

    async def _current(
        self, member_id: UUID, *, tenant: str, conn: Conn
    ) -> tuple[int, membership.MembershipState]:
        stream = membership.stream_id(member_id)
        recorded = await self.resources.store.read_stream(stream, tenant=tenant, conn=conn)
        version = recorded[-1].stream_version if recorded else 0
        return version, MEMBERSHIP.fold(CODEC.decode(r) for r in recorded)

    async def _handle(
        self,
        command: membership.MembershipCommand,
        *,
        tenant: str,
        correlation_id: str,
        expected_version: int | None = None,
        conn: Conn | None = None,
        new_stream: bool = False,
    ) -> tuple[int, membership.MembershipState]:
        runner = CommandRunner(
            self.resources.store, MEMBERSHIP, CODEC, lambda c: membership.stream_id(c.member_id), to_public
        )
        handled = await runner.run(
            command,
            tenant=tenant,
            correlation_id=correlation_id,
            expected_version=expected_version,
            conn=conn,
            new_stream=new_stream,
        )
        return handled.version, handled.state


def key_encryption_key(resources: Resources) -> KeyEncryptionKey:
    if not isinstance(resources.settings, Settings):
        raise TypeError("members-svc runs with its own settings (members_svc.config.Settings)")
    return KeyEncryptionKey(resources.settings.personal_data_kek.get_secret_value())


def build(resources: Resources) -> Members:
    keyring = Keyring(key_encryption_key(resources))
    return Members(resources=resources, register=MemberRegister(CODEC, keyring), keyring=keyring)
