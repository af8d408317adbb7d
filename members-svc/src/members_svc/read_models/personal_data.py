"""A natural person's data as the stream's sealed events hold it, opened with their key; and who read it.

Nothing here keeps a clear copy: each read folds the member's stream and opens it with the person's key, so
once the key is deleted every read shows the person as erased (ADR 008). Every read is recorded in
`personal_data_reads` (fields named, values never).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from members_svc.domain.membership import (
    MemberApplied,
    MemberDetailsChanged,
    MembershipEvent,
    PersonalDataErased,
    PersonalDataRecorded,
    stream_id,
)
from members_svc.keyring import Keyring, Unreadable
from services.decider import EventCodec
from services.eventstore.store import EventStore
from services.log_reader import Conn

FIELDS = (
    "display_name",
    "family_name",
    "given_names",
    "birth_date",
    "birth_place",
    "nir",
    "address",
    "email",
    "phone",
    "iban",
)


@dataclass(frozen=True)
class PersonalDataFile:
    member_id: UUID
    person_kind: str
    erased: bool
    values: dict[str, Any] = field(default_factory=dict)  # the fields known, by name; empty once erased
    version: int = 0

    def fields_read(self) -> list[str]:
        return [name for name in FIELDS if self.values.get(name) is not None]


def _unsealed(sealed: str | None, legacy: dict[str, Any], opened: dict[str, Any] | None) -> dict[str, Any]:
    if sealed is None:
        return {name: value for name, value in legacy.items() if value is not None}
    return opened or {}


async def read_personal_data(
    conn: Conn | Any,
    store: EventStore,
    keyring: Keyring,
    codec: EventCodec[MembershipEvent],
    tenant: str,
    member_id: UUID,
) -> PersonalDataFile | None:
    """The person's data, later records over earlier ones; None when there is no such member."""
    recorded = [
        r
        for r in await store.read_stream(stream_id(member_id), tenant=tenant, conn=conn)
        if codec.knows(r.event_type)
    ]
    if not recorded:
        return None
    key = await keyring.find(conn, tenant, member_id)

    def opened(sealed: str | None) -> dict[str, Any] | None:
        if sealed is None or key is None:
            return None
        try:
            return key.open(sealed)
        except Unreadable:
            return None

    person_kind, erased = "natural_person", False
    values: dict[str, Any] = {}
    for one in recorded:
        match codec.decode(one):
            case MemberApplied() as applied:
                person_kind = applied.person_kind
                legacy = {"display_name": applied.display_name, "email": applied.email}
                values.update(_unsealed(applied.sealed, legacy, opened(applied.sealed)))
            case MemberDetailsChanged() as changed:
                legacy = {"display_name": changed.display_name, "email": changed.email}
                values.update(_unsealed(changed.sealed, legacy, opened(changed.sealed)))
            case PersonalDataRecorded() as data:
                # A record replaces the previous one, except the register's display name.
                values = {"display_name": values.get("display_name"), **(opened(data.sealed) or {})}
            case PersonalDataErased():
                erased = True
    if erased:
        values = {}
    return PersonalDataFile(member_id, person_kind, erased, values, recorded[-1].stream_version)


async def record_read(
    conn: Conn | Any,
    *,
    tenant: str,
    member_id: UUID,
    client_id: str,
    request_id: str | None,
    fields: Sequence[str],
    read_at: datetime,
) -> None:
    await conn.execute(
        """INSERT INTO personal_data_reads (tenant, member_id, client_id, request_id, fields, read_at)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        tenant,
        member_id,
        client_id,
        request_id,
        list(fields),
        read_at,
    )


@dataclass(frozen=True)
class PersonalDataRead:
    read_id: int
    member_id: UUID
    client_id: str
    request_id: str | None
    fields: list[str]
    read_at: datetime


async def reads_of(
    conn: Conn | Any, tenant: str, member_id: UUID, *, after: int | None, limit: int
) -> list[PersonalDataRead]:
    """The access log of one person, oldest first, a page at a time."""
    rows = await conn.fetch(
        """SELECT read_id, member_id, client_id, request_id, fields, read_at FROM personal_data_reads
           WHERE tenant = $1 AND member_id = $2 AND ($3::bigint IS NULL OR read_id > $3)
           ORDER BY read_id LIMIT $4""",
        tenant,
        member_id,
        after,
        limit,
    )
    return [PersonalDataRead(**dict(row)) for row in rows]
