"""The register of members as the API lists and reads it.

Its name columns are the one clear copy of a member's name (ADR 008): opened from the sealed events with the
person's key, searchable through `name_key`, and set to NULL when the person's data is erased. A rebuild
after an erasure finds no key, so the name does not come back.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

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
from members_svc.keyring import Keyring, Unreadable
from services.decider import EventCodec
from services.eventstore.types import RecordedEvent
from services.log_reader import Conn


@dataclass(frozen=True)
class RegisteredMember:
    member_id: UUID
    person_kind: str
    display_name: str | None  # None once erased
    category: int | None
    status: str
    applied_at: datetime
    version: int
    admitted_on: date | None = None
    left_on: date | None = None
    erased: bool = False


def name_key(name: str) -> str:
    """What the search by name compares: case-folded, without accents, single spaces (Élodie -> elodie)."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


class MemberRegister:
    """Projection of the membership events into `member_register`."""

    name = "member_register"

    def __init__(self, codec: EventCodec[MembershipEvent], keyring: Keyring) -> None:
        self._codec = codec
        self._keyring = keyring

    async def _name(
        self, conn: Conn, tenant: str, member_id: UUID, sealed: str | None, legacy: str | None
    ) -> str | None:
        """The name an event gives, opened with the person's key (None when it gives none or is erased)."""
        if sealed is None:
            return legacy  # an event from before sealing (ADR 008)
        key = await self._keyring.find(conn, tenant, member_id)
        if key is None:
            return None
        try:
            name = key.open(sealed).get("display_name")
        except Unreadable:
            return None
        return name if isinstance(name, str) else None

    async def handle(self, conn: Conn, event: RecordedEvent) -> None:
        if not self._codec.knows(event.event_type):
            return  # another aggregate's event in the service's log
        match self._codec.decode(event):
            case MemberApplied() as applied:
                name = await self._name(
                    conn, event.tenant, applied.member_id, applied.sealed, applied.display_name
                )
                await conn.execute(
                    """INSERT INTO member_register
                         (tenant, member_id, person_kind, display_name, name_key, category, status,
                          applied_at, version)
                       VALUES ($1, $2, $3, $4, $5, $6, 'applied', $7, $8)
                       ON CONFLICT (tenant, member_id) DO NOTHING""",
                    event.tenant,
                    applied.member_id,
                    applied.person_kind,
                    name,
                    name_key(name) if name is not None else None,
                    applied.category,
                    applied.applied_at,
                    event.stream_version,
                )

            case MemberDetailsChanged() as changed:
                name = await self._name(
                    conn, event.tenant, changed.member_id, changed.sealed, changed.display_name
                )
                await conn.execute(
                    """UPDATE member_register SET
                         display_name = coalesce($3, display_name),
                         name_key = coalesce($4, name_key),
                         category = coalesce($5, category),
                         version = $6
                       WHERE tenant = $1 AND member_id = $2 AND NOT erased""",
                    event.tenant,
                    changed.member_id,
                    name,
                    name_key(name) if name is not None else None,
                    changed.category,
                    event.stream_version,
                )

            case MemberAdmitted() as admitted:
                await self._moved(conn, event, admitted.member_id, "admitted", admitted=admitted.admitted_on)
            case MemberResigned() as resigned:
                await self._moved(conn, event, resigned.member_id, "resigned", left=resigned.resigned_on)
            case MemberExcluded() as excluded:
                await self._moved(conn, event, excluded.member_id, "excluded", left=excluded.excluded_on)
            case PersonalDataErased() as erased:
                await conn.execute(
                    """UPDATE member_register
                       SET display_name = NULL, name_key = NULL, erased = true, version = $3
                       WHERE tenant = $1 AND member_id = $2""",
                    event.tenant,
                    erased.member_id,
                    event.stream_version,
                )
            case PersonalDataRecorded() as recorded:
                # The register shows none of it; its version follows the stream's for If-Match.
                await conn.execute(
                    "UPDATE member_register SET version = $3 WHERE tenant = $1 AND member_id = $2",
                    event.tenant,
                    recorded.member_id,
                    event.stream_version,
                )

    async def _moved(
        self,
        conn: Conn,
        event: RecordedEvent,
        member_id: UUID,
        status: str,
        *,
        admitted: date | None = None,
        left: date | None = None,
    ) -> None:
        """The new status, with the date of the admission or of the leaving."""
        await conn.execute(
            """UPDATE member_register SET status = $3, version = $4,
                 admitted_on = coalesce($5, admitted_on), left_on = coalesce($6, left_on)
               WHERE tenant = $1 AND member_id = $2""",
            event.tenant,
            member_id,
            status,
            event.stream_version,
            admitted,
            left,
        )

    async def reset(self, conn: Conn) -> None:
        await conn.execute("TRUNCATE member_register")


async def find_member(conn: Conn | Any, tenant: str, member_id: UUID) -> RegisteredMember | None:
    row = await conn.fetchrow(
        """SELECT member_id, person_kind, display_name, category, status, applied_at, version,
                  admitted_on, left_on, erased
           FROM member_register WHERE tenant = $1 AND member_id = $2""",
        tenant,
        member_id,
    )
    return None if row is None else RegisteredMember(**dict(row))


@dataclass(frozen=True)
class MemberFilter:
    status: str | None = None
    category: int | None = None
    person_kind: str | None = None
    name: str | None = None  # a part of the name, in any case, with or without accents


def _contains(text: str) -> str:
    """A LIKE pattern for `text` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_members(
    conn: Conn | Any, tenant: str, filters: MemberFilter, *, after: UUID | None, limit: int
) -> list[RegisteredMember]:
    """A page in id order (UUIDv7: the order of application), after the cursor's member."""
    rows = await conn.fetch(
        """SELECT member_id, person_kind, display_name, category, status, applied_at, version,
                  admitted_on, left_on, erased
           FROM member_register
           WHERE tenant = $1
             AND ($2::uuid IS NULL OR member_id > $2)
             AND ($3::text IS NULL OR status = $3)
             AND ($4::int IS NULL OR category = $4)
             AND ($5::text IS NULL OR person_kind = $5)
             AND ($6::text IS NULL OR name_key LIKE $6)
           ORDER BY member_id
           LIMIT $7""",
        tenant,
        after,
        filters.status,
        filters.category,
        filters.person_kind,
        _contains(name_key(filters.name)) if filters.name else None,
        limit,
    )
    return [RegisteredMember(**dict(row)) for row in rows]
