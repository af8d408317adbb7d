"""API clients and their credentials: create, rotate with an overlap, revoke, list.

A client gets a client secret (for `POST /v1/oauth/token`) and an API key (`coop_live_` / `coop_test_`, the
fallback Bearer credential). Both are shown once, at creation or rotation, and stored as SHA-256 digests.
Rotation gives a new credential and lets the old ones work until `now + overlap`, so integrators can roll out
the new one without downtime; revocation stops a credential at once (gateways notice within their cache TTL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from gateway.auth.lookup import find_key
from gateway.auth.secrets import (
    LIVE_PREFIX,
    SHOWN_KEY_CHARS,
    digest,
    new_api_key,
    new_client_id,
    new_client_secret,
    new_key_id,
)
from services.internal_token import Caller
from services.log_reader import Conn

DEFAULT_OVERLAP = timedelta(hours=24)


@dataclass(frozen=True)
class NewClient:
    client_id: str
    api_key: str
    client_secret: str = ""
    key_id: str = ""


@dataclass(frozen=True)
class RotatedCredential:
    client_id: str
    credential: str  # the new API key or client secret, shown once
    key_id: str | None  # for API keys
    previous_valid_until: datetime


@dataclass(frozen=True)
class KeySummary:
    key_id: str
    shown: str  # the key's first characters
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class ClientSummary:
    client_id: str
    tenant: str
    name: str
    scopes: tuple[str, ...]
    api_version: str
    created_at: datetime
    revoked_at: datetime | None
    keys: tuple[KeySummary, ...]


class UnknownClient(LookupError):
    pass


async def create_client(
    conn: Conn,
    *,
    tenant: str,
    name: str,
    scopes: list[str],
    api_version: str,
    live: bool = False,
) -> NewClient:
    """A client pinned to `api_version`, with one client secret and one API key (the only time they show)."""
    client_id = new_client_id()
    secret = new_client_secret()
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO api_clients (client_id, tenant, name, scopes, api_version)"
            " VALUES ($1, $2, $3, $4, $5)",
            client_id,
            tenant,
            name,
            sorted(set(scopes)),
            api_version,
        )
        await conn.execute(
            "INSERT INTO client_secrets (secret_hash, client_id) VALUES ($1, $2)", digest(secret), client_id
        )
        key_id, api_key = await _add_key(conn, client_id, live=live)
    return NewClient(client_id=client_id, api_key=api_key, client_secret=secret, key_id=key_id)


async def _add_key(conn: Conn, client_id: str, *, live: bool) -> tuple[str, str]:
    key_id, api_key = new_key_id(), new_api_key(live=live)
    await conn.execute(
        "INSERT INTO api_keys (key_hash, client_id, prefix, key_id) VALUES ($1, $2, $3, $4)",
        digest(api_key),
        client_id,
        api_key[:SHOWN_KEY_CHARS],
        key_id,
    )
    return key_id, api_key


async def _lock_client(conn: Conn, client_id: str) -> None:
    found = await conn.fetchval(
        "SELECT 1 FROM api_clients WHERE client_id = $1 AND revoked_at IS NULL FOR UPDATE", client_id
    )
    if found is None:
        raise UnknownClient(f"no active client {client_id!r}")


async def rotate_key(
    conn: Conn,
    client_id: str,
    *,
    overlap: timedelta = DEFAULT_OVERLAP,
    live: bool | None = None,
    now: datetime | None = None,
) -> RotatedCredential:
    """A new API key; the client's current keys keep working until `now + overlap` (0: they stop now)."""
    until = (now or datetime.now(UTC)) + overlap
    async with conn.transaction():
        await _lock_client(conn, client_id)
        if live is None:
            prefix = await conn.fetchval(
                "SELECT prefix FROM api_keys WHERE client_id = $1 ORDER BY created_at DESC LIMIT 1", client_id
            )
            live = isinstance(prefix, str) and prefix.startswith(LIVE_PREFIX)
        await conn.execute(
            """UPDATE api_keys SET expires_at = LEAST(coalesce(expires_at, 'infinity'), $2)
               WHERE client_id = $1 AND revoked_at IS NULL""",
            client_id,
            until,
        )
        key_id, api_key = await _add_key(conn, client_id, live=live)
    return RotatedCredential(client_id, api_key, key_id, until)


async def rotate_secret(
    conn: Conn, client_id: str, *, overlap: timedelta = DEFAULT_OVERLAP, now: datetime | None = None
) -> RotatedCredential:
    """A new client secret; the current ones keep working until `now + overlap`."""
    until = (now or datetime.now(UTC)) + overlap
    secret = new_client_secret()
    async with conn.transaction():
        await _lock_client(conn, client_id)
        await conn.execute(
            """UPDATE client_secrets SET expires_at = LEAST(coalesce(expires_at, 'infinity'), $2)
               WHERE client_id = $1 AND revoked_at IS NULL""",
            client_id,
            until,
        )
        await conn.execute(
            "INSERT INTO client_secrets (secret_hash, client_id) VALUES ($1, $2)", digest(secret), client_id
        )
    return RotatedCredential(client_id, secret, None, until)


async def revoke_key(conn: Conn, key_id: str) -> bool:
    """Stops the key now. False if there is no such key or it was already revoked."""
    done = await conn.fetchval(
        "UPDATE api_keys SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL RETURNING 1", key_id
    )
    return done is not None


async def revoke_client(conn: Conn, client_id: str) -> bool:
    """Stops every credential of the client, its access tokens included."""
    done = await conn.fetchval(
        "UPDATE api_clients SET revoked_at = now() WHERE client_id = $1 AND revoked_at IS NULL RETURNING 1",
        client_id,
    )
    return done is not None


async def list_clients(conn: Conn, *, tenant: str | None = None) -> list[ClientSummary]:
    clients = await conn.fetch(
        """SELECT client_id, tenant, name, scopes, api_version, created_at, revoked_at FROM api_clients
           WHERE $1::text IS NULL OR tenant = $1 ORDER BY tenant, created_at""",
        tenant,
    )
    keys = await conn.fetch(
        """SELECT client_id, key_id, prefix, created_at, expires_at, revoked_at FROM api_keys
           WHERE client_id = ANY($1::text[]) ORDER BY created_at""",
        [row["client_id"] for row in clients],
    )
    by_client: dict[str, list[KeySummary]] = {}
    for key in keys:
        by_client.setdefault(key["client_id"], []).append(
            KeySummary(key["key_id"], key["prefix"], key["created_at"], key["expires_at"], key["revoked_at"])
        )
    return [
        ClientSummary(
            client_id=row["client_id"],
            tenant=row["tenant"],
            name=row["name"],
            scopes=tuple(row["scopes"]),
            api_version=row["api_version"],
            created_at=row["created_at"],
            revoked_at=row["revoked_at"],
            keys=tuple(by_client.get(row["client_id"], ())),
        )
        for row in clients
    ]


async def caller_for_key(pool: asyncpg.Pool | Conn, api_key: str) -> Caller | None:
    """The caller a usable API key stands for (uncached: for tools; requests go through `Authenticator`)."""
    found = await find_key(pool, api_key)
    if found is None or not found.usable_at(datetime.now(UTC)):
        return None
    client = found.client
    return Caller(tenant=client.tenant, client_id=client.client_id, scopes=client.scopes)
