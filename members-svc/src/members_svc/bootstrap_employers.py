"""Composition of the employer structure aggregate: codec, decider, the contacts' keys, and the handler its
API calls."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from members_svc.bootstrap import key_encryption_key
from members_svc.command_runner import CommandRunner
from members_svc.domain import employers
from members_svc.domain.employers import (
    ContactSealer,
    EmployerContactErased,
    EmployerStructureClosed,
    EmployerStructureEvent,
    EmployerStructureRegistered,
    EmployerStructureReinstated,
    EmployerStructureSuspended,
    WebhookSecretIssued,
)
from members_svc.integration.employers_outbound import to_public
from members_svc.keyring import DataKey, KeyEncryptionKey, Unreadable
from services.command_loop import Handled
from services.decider import Decider, EventCodec
from services.log_reader import Conn
from services.runtime import Resources

EMPLOYER_CODEC: EventCodec[EmployerStructureEvent] = EventCodec(
    {
        "EmployerStructureRegistered": EmployerStructureRegistered,
        "EmployerStructureSuspended": EmployerStructureSuspended,
        "EmployerStructureReinstated": EmployerStructureReinstated,
        "EmployerStructureClosed": EmployerStructureClosed,
        "WebhookSecretIssued": WebhookSecretIssued,
        "EmployerContactErased": EmployerContactErased,
    }
)
EMPLOYER_EVENT_TYPES = frozenset(
    {
        "EmployerStructureRegistered",
        "EmployerStructureSuspended",
        "EmployerStructureReinstated",
        "EmployerStructureClosed",
        "WebhookSecretIssued",
        "EmployerContactErased",
    }
)
EMPLOYER_STRUCTURE = Decider(employers.decide, employers.evolve, employers.initial_state)
CONTACT_FIELDS = ("name", "email", "phone", "role")


class ContactKeys:
    """`employer_contact_keys`: each contact's data key, wrapped by the KEK; deleted by their erasure."""

    def __init__(self, kek: KeyEncryptionKey) -> None:
        self._kek = kek

    async def save(
        self, conn: Conn | Any, tenant: str, structure_id: UUID, keys: Mapping[UUID, DataKey]
    ) -> None:
        await conn.executemany(
            """INSERT INTO employer_contact_keys
                 (tenant, employer_structure_id, contact_id, wrapped_key, kek_id)
               VALUES ($1, $2, $3, $4, $5)""",
            [
                (tenant, structure_id, contact_id, key.wrapped_by(self._kek), self._kek.kek_id)
                for contact_id, key in keys.items()
            ],
        )

    async def of_structure(self, conn: Conn | Any, tenant: str, structure_id: UUID) -> dict[UUID, DataKey]:
        rows = await conn.fetch(
            """SELECT contact_id, wrapped_key FROM employer_contact_keys
               WHERE tenant = $1 AND employer_structure_id = $2""",
            tenant,
            structure_id,
        )
        return {r["contact_id"]: self._kek.unwrap(r["wrapped_key"], tenant, r["contact_id"]) for r in rows}

    async def delete(self, conn: Conn | Any, tenant: str, contact_id: UUID) -> None:
        await conn.execute(
            "DELETE FROM employer_contact_keys WHERE tenant = $1 AND contact_id = $2", tenant, contact_id
        )


def opened_contacts(
    entries: Sequence[Mapping[str, Any]], keys: Mapping[UUID, DataKey]
) -> list[dict[str, Any]]:
    """The directory's contact entries opened: `{id, erased, name, email, phone, role}` each.

    A sealed entry opens with its contact's key; an entry without a key left (erased) shows as erased; an
    entry in clear comes from an event written before contacts were sealed (ADR 008, addendum)."""
    opened = []
    for entry in entries:
        contact_id = UUID(str(entry["id"]))
        fields: dict[str, Any] | None = None
        if "sealed" in entry:
            key = keys.get(contact_id)
            try:
                fields = None if key is None else key.open(str(entry["sealed"]))
            except Unreadable:
                fields = None
        elif not entry.get("erased"):
            fields = {name: entry.get(name) for name in CONTACT_FIELDS}
        values = {name: (fields or {}).get(name) for name in CONTACT_FIELDS}
        opened.append({"id": contact_id, "erased": fields is None, **values})
    return opened


@dataclass(frozen=True)
class EmployerStructures:
    resources: Resources

    @property
    def contact_keys(self) -> ContactKeys:
        return ContactKeys(key_encryption_key(self.resources))

    async def check(self, command: employers.EmployerStructureCommand, *, tenant: str) -> None:
        """Decide `command` on the structure's stream without appending: raises the refusal it would meet."""
        recorded = await self.resources.store.read_stream(
            employers.stream_id(command.employer_structure_id), tenant=tenant
        )
        state = EMPLOYER_STRUCTURE.fold(EMPLOYER_CODEC.decode(r) for r in recorded)
        EMPLOYER_STRUCTURE.decide(command, state)

    async def register(
        self,
        command_sealed_with: Callable[[ContactSealer], employers.RegisterEmployerStructure],
        *,
        tenant: str,
        correlation_id: str,
    ) -> tuple[int, employers.EmployerStructure]:
        """Each contact gets a new key, saved in the transaction that appends what it sealed; none when the
        registration was recorded already (the same request run again: its keys are those first saved)."""
        keys: dict[UUID, DataKey] = {}

        def seal(contact_id: UUID, fields: Mapping[str, Any]) -> str:
            keys[contact_id] = DataKey.new(tenant, contact_id)
            return keys[contact_id].seal(fields)

        command = command_sealed_with(seal)
        async with self.resources.pool.acquire() as conn, conn.transaction():
            handled = await self._runner.run(command, tenant=tenant, correlation_id=correlation_id, conn=conn)
            if handled.events:
                await self.contact_keys.save(conn, tenant, command.employer_structure_id, keys)
        return _registered(handled)

    async def erase_contact(
        self, command: employers.EraseEmployerContact, *, tenant: str, correlation_id: str
    ) -> tuple[int, employers.EmployerStructure]:
        """Crypto-shredding: the contact's key is deleted in the transaction that records the erasure."""
        async with self.resources.pool.acquire() as conn, conn.transaction():
            version, state = await self.handle(
                command, tenant=tenant, correlation_id=correlation_id, conn=conn
            )
            await self.contact_keys.delete(conn, tenant, command.contact_id)
        return version, state

    async def handle(
        self,
        command: employers.EmployerStructureCommand,
        *,
        tenant: str,
        correlation_id: str,
        expected_version: int | None = None,
        conn: Conn | None = None,
    ) -> tuple[int, employers.EmployerStructure]:
        handled = await self._runner.run(
            command,
            tenant=tenant,
            correlation_id=correlation_id,
            expected_version=expected_version,
            conn=conn,
        )
        return _registered(handled)

    @property
    def _runner(
        self,
    ) -> CommandRunner[
        employers.EmployerStructureCommand, EmployerStructureEvent, employers.EmployerStructureState
    ]:
        return CommandRunner(
            self.resources.store,
            EMPLOYER_STRUCTURE,
            EMPLOYER_CODEC,
            lambda c: employers.stream_id(c.employer_structure_id),
            to_public,
        )


def _registered(
    handled: Handled[EmployerStructureEvent, employers.EmployerStructureState],
) -> tuple[int, employers.EmployerStructure]:
    state = handled.state
    assert isinstance(state, employers.EmployerStructure)  # every command leaves a registered structure
    return handled.version, state
