"""The webhook_endpoints table: every query is scoped by tenant, so another tenant's endpoint is not found."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from gateway.outbound.disabling import disable_endpoint
from services.eventstore.store import EventStore
from services.log_reader import Conn

_COLUMNS = "id, seq, url, description, event_types, enabled, disabled_reason, version, created_at, updated_at"


@dataclass(frozen=True)
class Endpoint:
    id: str
    seq: int
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class VersionMismatch(Exception):
    """The endpoint is no longer at the version the caller read (If-Match)."""


def _endpoint(row: asyncpg.Record) -> Endpoint:
    values: dict[str, Any] = dict(row.items())
    return Endpoint(**values)


async def create(
    conn: Conn,
    *,
    tenant: str,
    url: str,
    event_types: Sequence[str],
    description: str | None,
    sealed_secret: bytes,
    now: datetime,
) -> Endpoint:
    row = await conn.fetchrow(
        f"""INSERT INTO webhook_endpoints
                (id, tenant, url, description, event_types, secret_encrypted, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {_COLUMNS}""",
        "we_" + secrets.token_hex(12),
        tenant,
        url,
        description,
        sorted(set(event_types)),
        sealed_secret,
        now,
    )
    assert row is not None
    return _endpoint(row)


async def get(conn: Conn, tenant: str, endpoint_id: str) -> Endpoint | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM webhook_endpoints WHERE tenant = $1 AND id = $2", tenant, endpoint_id
    )
    return None if row is None else _endpoint(row)


async def page(conn: Conn, tenant: str, *, limit: int, before_seq: int | None) -> tuple[list[Endpoint], bool]:
    """Newest first; one row more than asked tells whether there is a next page."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM webhook_endpoints
            WHERE tenant = $1 AND ($2::bigint IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3""",
        tenant,
        before_seq,
        limit + 1,
    )
    return [_endpoint(row) for row in rows[:limit]], len(rows) > limit


async def update(
    conn: Conn,
    store: EventStore,
    tenant: str,
    endpoint_id: str,
    changes: dict[str, Any],
    *,
    expected_version: int | None,
    now: datetime,
) -> Endpoint | None:
    """Applies `changes` (url, event_types, description, enabled); None when there is no such endpoint."""
    async with conn.transaction():
        current = await conn.fetchrow(
            "SELECT version, enabled FROM webhook_endpoints WHERE tenant = $1 AND id = $2 FOR UPDATE",
            tenant,
            endpoint_id,
        )
        if current is None:
            return None
        if expected_version is not None and current["version"] != expected_version:
            raise VersionMismatch
        enabled = changes.get("enabled")
        if enabled is False and current["enabled"]:
            await disable_endpoint(conn, store, tenant, endpoint_id, reason="disabled_by_client", now=now)
        row = await conn.fetchrow(
            f"""UPDATE webhook_endpoints SET
                    url = coalesce($3, url),
                    event_types = coalesce($4, event_types),
                    description = CASE WHEN $5 THEN $6 ELSE description END,
                    enabled = coalesce($7, enabled),
                    -- Enabling again starts afresh: no pause, no failure streak, no reason.
                    disabled_reason = CASE WHEN $7 IS TRUE THEN NULL ELSE disabled_reason END,
                    failing_since = CASE WHEN $7 IS TRUE THEN NULL ELSE failing_since END,
                    paused_until = CASE WHEN $7 IS TRUE THEN NULL ELSE paused_until END,
                    version = version + 1,
                    updated_at = $8
                WHERE tenant = $1 AND id = $2 RETURNING {_COLUMNS}""",
            tenant,
            endpoint_id,
            changes.get("url"),
            sorted(set(changes["event_types"])) if changes.get("event_types") is not None else None,
            "description" in changes,
            changes.get("description"),
            enabled,
            now,
        )
        assert row is not None
        return _endpoint(row)


async def delete(conn: Conn, tenant: str, endpoint_id: str) -> bool:
    deleted = await conn.fetchval(
        "DELETE FROM webhook_endpoints WHERE tenant = $1 AND id = $2 RETURNING true", tenant, endpoint_id
    )
    return bool(deleted)
