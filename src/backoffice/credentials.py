"""API clients from the command line, and the development credential of each tenant."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg

from gateway.auth.api_keys import caller_for_key, create_client
from gateway.tenants import TENANTS

API_VERSION = "2026-11-26"
ALL_SCOPES = [
    "members:read",
    "members:write",
    "contracts:read",
    "contracts:write",
    "payslips:read",
    "webhooks:manage",
]


async def ensure_dev_credentials(pool: asyncpg.Pool, file: Path) -> dict[str, str]:
    """One full-scope test key per tenant, kept in `file` (under ./var, never committed) across restarts."""
    known: dict[str, str] = json.loads(file.read_text()) if file.exists() else {}
    keys: dict[str, str] = {}
    for tenant in TENANTS:
        key = known.get(tenant)
        if key is None or await caller_for_key(pool, key) is None:
            async with pool.acquire() as conn:
                key = (
                    await create_client(
                        conn,
                        tenant=tenant,
                        name=f"{tenant} (development)",
                        scopes=ALL_SCOPES,
                        api_version=API_VERSION,
                    )
                ).api_key
        keys[tenant] = key
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(json.dumps(keys, indent=2))
    file.chmod(0o600)
    return keys


def how_to_call(base_url: str, keys: dict[str, str]) -> str:
    lines = [
        f"The back-office answers on {base_url} (OpenAPI docs: {base_url}/docs).",
        "Development API keys:",
    ]
    lines += [f"  {tenant:<15} {key}" for tenant, key in keys.items()]
    smartfr = keys.get("smartfr", "<key>")
    lines += [
        "Try:",
        f"  curl -s -X POST {base_url}/v1/members -H 'Authorization: Bearer {smartfr}' \\",
        '       -H \'Content-Type: application/json\' -d \'{"person_kind": "natural_person", '
        '"display_name": "Camille Martin"}\'',
        f"  curl -s {base_url}/v1/members/<id> -H 'Authorization: Bearer {smartfr}'",
    ]
    return "\n".join(lines)
