"""The directory of employer structures as the API lists and reads it.

Its `contacts` hold no clear copy: each entry is the contact's id and what the event sealed with their key
(opened on a read with the personal data scope), `{"id", "erased": true}` once erased. Entries from events
written before contacts were sealed are in clear, with the id derived from their rank (ADR 008, addendum).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from members_svc.domain.employers import (
    EmployerContactErased,
    EmployerStructureClosed,
    EmployerStructureEvent,
    EmployerStructureRegistered,
    EmployerStructureReinstated,
    EmployerStructureSuspended,
    WebhookSecretIssued,
)
from services.decider import EventCodec
from services.eventstore.types import RecordedEvent
from services.log_reader import Conn

COLUMNS = """employer_structure_id, siret, legal_name, kind, vat_number, rna, address, contacts, status,
             status_reason, status_since, registered_at, version, webhook_secret_issued_at"""


@dataclass(frozen=True)
class ListedEmployerStructure:
    employer_structure_id: UUID
    siret: str
    legal_name: str
    kind: str
    vat_number: str | None
    rna: str | None
    address: dict[str, Any]
    contacts: list[dict[str, Any]]  # the entries as stored: sealed, erased, or (older events) in clear
    status: str
    status_reason: str | None
    status_since: date | None
    registered_at: datetime
    version: int
    webhook_secret_issued_at: datetime | None = None


def _listed(row: Any) -> ListedEmployerStructure:
    fields = dict(row)
    fields["address"] = json.loads(fields["address"])
    fields["contacts"] = json.loads(fields["contacts"])
    return ListedEmployerStructure(**fields)


class EmployerDirectory:
    """Projection of the employer structure events into `employer_directory`; other events are skipped."""

    name = "employer_directory"

    def __init__(self, codec: EventCodec[EmployerStructureEvent], event_types: frozenset[str]) -> None:
        self._codec = codec
        self._event_types = event_types

    async def handle(self, conn: Conn, event: RecordedEvent) -> None:
        if event.event_type not in self._event_types:
            return
        match self._codec.decode(event):
            case EmployerStructureRegistered() as registered:
                await conn.execute(
                    """INSERT INTO employer_directory
                         (tenant, employer_structure_id, siret, legal_name, kind, vat_number, rna, address,
                          contacts, status, registered_at, version)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, 'active', $10, $11)
                       ON CONFLICT (tenant, employer_structure_id) DO NOTHING""",
                    event.tenant,
                    registered.employer_structure_id,
                    registered.siret,
                    registered.legal_name,
                    registered.kind,
                    registered.vat_number,
                    registered.rna,
                    registered.address.model_dump_json(),
                    json.dumps(_entries(registered)),
                    registered.registered_at,
                    event.stream_version,
                )
            case EmployerStructureSuspended() as suspended:
                await self._status(
                    conn,
                    event,
                    suspended.employer_structure_id,
                    "suspended",
                    suspended.reason,
                    suspended.effective_on,
                )
            case EmployerStructureReinstated() as reinstated:
                await self._status(
                    conn, event, reinstated.employer_structure_id, "active", None, reinstated.effective_on
                )
            case EmployerStructureClosed() as closed:
                await self._status(
                    conn, event, closed.employer_structure_id, "closed", closed.reason, closed.effective_on
                )
            case EmployerContactErased() as erased:
                await conn.execute(
                    """UPDATE employer_directory
                       SET contacts = (
                             SELECT coalesce(jsonb_agg(
                                      CASE WHEN entry->>'id' = $3
                                           THEN jsonb_build_object('id', entry->'id', 'erased', true)
                                           ELSE entry END ORDER BY rank), '[]'::jsonb)
                             FROM jsonb_array_elements(contacts) WITH ORDINALITY AS e(entry, rank)),
                           version = $4
                       WHERE tenant = $1 AND employer_structure_id = $2""",
                    event.tenant,
                    erased.employer_structure_id,
                    str(erased.contact_id),
                    event.stream_version,
                )
            case WebhookSecretIssued() as issued:
                await conn.execute(
                    """UPDATE employer_directory SET webhook_secret_issued_at = $3, version = $4
                       WHERE tenant = $1 AND employer_structure_id = $2""",
                    event.tenant,
                    issued.employer_structure_id,
                    issued.issued_at,
                    event.stream_version,
                )

    async def _status(
        self, conn: Conn, event: RecordedEvent, structure: UUID, status: str, reason: str | None, since: date
    ) -> None:
        await conn.execute(
            """UPDATE employer_directory
               SET status = $3, status_reason = $4, status_since = $5, version = $6
               WHERE tenant = $1 AND employer_structure_id = $2""",
            event.tenant,
            structure,
            status,
            reason,
            since,
            event.stream_version,
        )

    async def reset(self, conn: Conn) -> None:
        await conn.execute("TRUNCATE employer_directory")


def _entries(registered: EmployerStructureRegistered) -> list[dict[str, Any]]:
    ids = registered.contact_ids()
    clear = [
        {"id": str(contact_id), **contact.model_dump(mode="json")}
        for contact_id, contact in zip(ids, registered.contacts, strict=False)
    ]
    sealed = [{"id": str(c.contact_id), "sealed": c.sealed} for c in registered.sealed_contacts]
    return clear + sealed


async def find_employer_structure(
    conn: Conn | Any, tenant: str, employer_structure_id: UUID
) -> ListedEmployerStructure | None:
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM employer_directory WHERE tenant = $1 AND employer_structure_id = $2",
        tenant,
        employer_structure_id,
    )
    return None if row is None else _listed(row)


@dataclass(frozen=True)
class EmployerFilter:
    status: str | None = None
    kind: str | None = None
    siret: str | None = None
    legal_name: str | None = None  # contained, case-insensitive


async def list_employer_structures(
    conn: Conn | Any, tenant: str, filters: EmployerFilter, *, after: UUID | None, limit: int
) -> list[ListedEmployerStructure]:
    """A page in id order (a stable order), after the cursor's structure."""
    rows = await conn.fetch(
        f"""SELECT {COLUMNS}
           FROM employer_directory
           WHERE tenant = $1
             AND ($2::uuid IS NULL OR employer_structure_id > $2)
             AND ($3::text IS NULL OR status = $3)
             AND ($4::text IS NULL OR kind = $4)
             AND ($5::text IS NULL OR siret = $5)
             AND ($6::text IS NULL OR legal_name ILIKE '%' || $6 || '%')
           ORDER BY employer_structure_id
           LIMIT $7""",
        tenant,
        after,
        filters.status,
        filters.kind,
        filters.siret,
        _like_escaped(filters.legal_name),
        limit,
    )
    return [_listed(row) for row in rows]


def _like_escaped(text: str | None) -> str | None:
    if text is None:
        return None
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def record_contacts_read(
    conn: Conn | Any,
    *,
    tenant: str,
    employer_structure_id: UUID,
    contact_ids: Sequence[UUID],
    client_id: str,
    request_id: str | None,
    fields: Sequence[str],
    read_at: datetime,
) -> None:
    """The access log of contacts (`employer_contact_reads`): who read whose fields, never the values."""
    await conn.execute(
        """INSERT INTO employer_contact_reads
             (tenant, employer_structure_id, contact_ids, client_id, request_id, fields, read_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        tenant,
        employer_structure_id,
        list(contact_ids),
        client_id,
        request_id,
        list(fields),
        read_at,
    )
