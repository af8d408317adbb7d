"""The reads that turn a credential into its client: one indexed probe each, no write on the hot path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from gateway.auth.secrets import digest
from services.log_reader import Conn

# A pool (one query, its own connection) or a connection already held.
Db = Conn | asyncpg.Pool


@dataclass(frozen=True)
class ClientRecord:
    client_id: str
    tenant: str
    scopes: frozenset[str]
    api_version: str
    revoked: bool


@dataclass(frozen=True)
class KeyRecord:
    """An API key that is not revoked; `expires_at` is set on a key rotated away (it works until then)."""

    client: ClientRecord
    expires_at: datetime | None

    def usable_at(self, now: datetime) -> bool:
        return not self.client.revoked and (self.expires_at is None or now < self.expires_at)


_CLIENT_COLUMNS = "c.client_id, c.tenant, c.scopes, c.api_version, c.revoked_at IS NOT NULL AS revoked"


def _client(row: asyncpg.Record) -> ClientRecord:
    return ClientRecord(
        client_id=row["client_id"],
        tenant=row["tenant"],
        scopes=frozenset(row["scopes"]),
        api_version=row["api_version"],
        revoked=row["revoked"],
    )


async def find_client(conn: Db, client_id: str) -> ClientRecord | None:
    row = await conn.fetchrow(
        f"SELECT {_CLIENT_COLUMNS} FROM api_clients c WHERE c.client_id = $1", client_id
    )
    return None if row is None else _client(row)


async def find_key(conn: Db, api_key: str) -> KeyRecord | None:
    row = await conn.fetchrow(
        f"""SELECT {_CLIENT_COLUMNS}, k.expires_at FROM api_keys k JOIN api_clients c USING (client_id)
            WHERE k.key_hash = $1 AND k.revoked_at IS NULL""",
        digest(api_key),
    )
    return None if row is None else KeyRecord(client=_client(row), expires_at=row["expires_at"])


async def find_client_by_secret(conn: Db, client_id: str, secret: str) -> ClientRecord | None:
    """The client if `secret` is one of its current secrets (an old one works until its expiry)."""
    row = await conn.fetchrow(
        f"""SELECT {_CLIENT_COLUMNS} FROM client_secrets s JOIN api_clients c USING (client_id)
            WHERE s.secret_hash = $1 AND s.client_id = $2 AND s.revoked_at IS NULL
              AND (s.expires_at IS NULL OR s.expires_at > now()) AND c.revoked_at IS NULL""",
        digest(secret),
        client_id,
    )
    return None if row is None else _client(row)
