"""API keys: `coop_live_` / `coop_test_` + random, shown once, stored as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import asyncpg

from services.internal_token import Caller
from services.log_reader import Conn

LIVE_PREFIX = "coop_live_"
TEST_PREFIX = "coop_test_"


@dataclass(frozen=True)
class NewClient:
    client_id: str
    api_key: str


def _hash(api_key: str) -> bytes:
    # Keys are 256-bit random: a plain SHA-256 is enough (no password-style stretching needed).
    return hashlib.sha256(api_key.encode()).digest()


async def create_client(
    conn: Conn,
    *,
    tenant: str,
    name: str,
    scopes: list[str],
    api_version: str,
    live: bool = False,
) -> NewClient:
    client_id = "cli_" + secrets.token_hex(8)
    api_key = (LIVE_PREFIX if live else TEST_PREFIX) + secrets.token_urlsafe(32)
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO api_clients (client_id, tenant, name, scopes, api_version)"
            " VALUES ($1, $2, $3, $4, $5)",
            client_id,
            tenant,
            name,
            sorted(scopes),
            api_version,
        )
        await conn.execute(
            "INSERT INTO api_keys (key_hash, client_id, prefix) VALUES ($1, $2, $3)",
            _hash(api_key),
            client_id,
            api_key[: len(TEST_PREFIX) + 4],
        )
    return NewClient(client_id=client_id, api_key=api_key)


async def caller_for_key(pool: asyncpg.Pool, api_key: str) -> Caller | None:
    if not api_key.startswith((LIVE_PREFIX, TEST_PREFIX)):
        return None
    row = await pool.fetchrow(
        """SELECT c.client_id, c.tenant, c.scopes FROM api_keys k JOIN api_clients c USING (client_id)
           WHERE k.key_hash = $1 AND k.revoked_at IS NULL""",
        _hash(api_key),
    )
    if row is None:
        return None
    return Caller(tenant=row["tenant"], client_id=row["client_id"], scopes=frozenset(row["scopes"]))
