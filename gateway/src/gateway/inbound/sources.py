"""Who may push: a source per association, bound to the one API client it calls with, and its secrets.

The API credential says who calls (and so the tenant); the signature made with the source's secret proves the
body is theirs and intact. Issuing a new secret keeps the previous one valid for `ROTATION_OVERLAP`, so an
association can switch without losing a message; there are never more than two valid secrets.
An employer structure's source is `es_<structure id, hex>` (`source_of_employer_structure`): the API issues
its secrets (`routes/employers.py`, after members-svc says the structure is the tenant's and active), and a
structure suspended or closed has them revoked (`revoke_secrets`, from members' public event). ADR 013.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from gateway.inbound.sealing import Sealer
from gateway.inbound.signatures import new_secret
from services.log_reader import Conn

ROTATION_OVERLAP = timedelta(hours=24)
# No '-': the stream `inbound-<source>-<webhook-id>` must name one (source, webhook-id) only.
SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9_]{2,62}$")


class SourceError(ValueError):
    """An admin request about a source that cannot be done (unknown client, tenant mismatch, bad id)."""


class ClientRequired(SourceError):
    """A new source needs the API client it pushes with."""


class ClientUnknown(SourceError):
    """No such API client in the tenant."""


class ClientBoundElsewhere(SourceError):
    """The client pushes for another source, or the source belongs to another tenant or client."""


@dataclass(frozen=True)
class Source:
    source_id: str
    tenant: str
    client_id: str


async def source_for_client(conn: Conn, client_id: str) -> Source | None:
    row = await conn.fetchrow(
        "SELECT source_id, tenant, client_id FROM inbound_sources WHERE client_id = $1", client_id
    )
    return None if row is None else Source(row["source_id"], row["tenant"], row["client_id"])


@dataclass(frozen=True)
class Pusher:
    """The source a client pushes for, with its secrets valid at the time asked (newest first, sealed)."""

    source: Source
    sealed_secrets: tuple[bytes, ...]


async def pusher_for_client(conn: Conn, client_id: str, *, now: datetime) -> Pusher | None:
    """`source_for_client` and its secrets valid at `now`, newest first, in one round trip."""
    row = await conn.fetchrow(
        """SELECT s.source_id, s.tenant, s.client_id,
                  ARRAY(SELECT i.sealed FROM inbound_secrets i
                        WHERE i.source_id = s.source_id AND (i.expires_at IS NULL OR i.expires_at > $2)
                        ORDER BY i.id DESC) AS sealed_secrets
           FROM inbound_sources s WHERE s.client_id = $1""",
        client_id,
        now,
    )
    if row is None:
        return None
    return Pusher(Source(row["source_id"], row["tenant"], row["client_id"]), tuple(row["sealed_secrets"]))


async def issue_secret(
    conn: Conn,
    sealer: Sealer,
    *,
    tenant: str,
    source_id: str,
    now: datetime,
    client_id: str | None = None,
) -> str:
    """A new secret for the source, returned once and stored only encrypted.

    A new source needs `client_id` (an API client of `tenant`). For an existing one the current secret stays
    valid for `ROTATION_OVERLAP`, and one already in its overlap ends now.
    """
    if not SOURCE_ID.match(source_id):
        raise SourceError("a source id is 3-63 characters a-z, 0-9 or '_', starting with a letter or digit")
    async with conn.transaction():
        row = await conn.fetchrow(
            "SELECT tenant, client_id FROM inbound_sources WHERE source_id = $1 FOR UPDATE", source_id
        )
        if row is None:
            await _create_source(conn, tenant=tenant, source_id=source_id, client_id=client_id)
        elif row["tenant"] != tenant or (client_id is not None and client_id != row["client_id"]):
            raise ClientBoundElsewhere(f"source {source_id!r} belongs to another tenant or client")
        await conn.execute(
            "UPDATE inbound_secrets SET expires_at = $2"
            " WHERE source_id = $1 AND expires_at IS NOT NULL AND expires_at > $2",
            source_id,
            now,
        )
        await conn.execute(
            "UPDATE inbound_secrets SET expires_at = $2 WHERE source_id = $1 AND expires_at IS NULL",
            source_id,
            now + ROTATION_OVERLAP,
        )
        secret = new_secret()
        await conn.execute(
            "INSERT INTO inbound_secrets (source_id, sealed, created_at) VALUES ($1, $2, $3)",
            source_id,
            sealer.seal(secret.encode()),
            now,
        )
    return secret


async def _create_source(conn: Conn, *, tenant: str, source_id: str, client_id: str | None) -> None:
    if client_id is None:
        raise ClientRequired(f"source {source_id!r} is new: name the API client it pushes with")
    owner = await conn.fetchval("SELECT tenant FROM api_clients WHERE client_id = $1", client_id)
    if owner != tenant:
        raise ClientUnknown(f"no API client {client_id!r} in tenant {tenant!r}")
    if await source_for_client(conn, client_id) is not None:
        raise ClientBoundElsewhere(f"API client {client_id!r} already pushes for another source")
    await conn.execute(
        "INSERT INTO inbound_sources (source_id, tenant, client_id) VALUES ($1, $2, $3)",
        source_id,
        tenant,
        client_id,
    )


def source_of_employer_structure(employer_structure_id: UUID) -> str:
    """The source id of an employer structure: one per structure, derived, so nothing maps them."""
    return f"es_{employer_structure_id.hex}"


async def revoke_secrets(conn: Conn, *, tenant: str, source_id: str, now: datetime) -> int:
    """End every secret of the tenant's source still valid at `now`; returns how many were ended."""
    status: str = await conn.execute(
        """UPDATE inbound_secrets SET expires_at = $3
           WHERE source_id = $1 AND (expires_at IS NULL OR expires_at > $3)
             AND EXISTS (SELECT FROM inbound_sources WHERE source_id = $1 AND tenant = $2)""",
        source_id,
        tenant,
        now,
    )
    return int(status.rsplit(" ", 1)[-1])


async def previous_secret_expiry(conn: Conn, source_id: str, *, now: datetime) -> datetime | None:
    """When the secret before the current one stops being valid (None when there is none still valid)."""
    expiry: datetime | None = await conn.fetchval(
        "SELECT max(expires_at) FROM inbound_secrets WHERE source_id = $1 AND expires_at > $2", source_id, now
    )
    return expiry
