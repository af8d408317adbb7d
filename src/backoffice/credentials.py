"""API clients from the command line (`backoffice clients ...`); the development credential of each tenant."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import timedelta
from pathlib import Path

import asyncpg

from gateway.auth.api_keys import (
    UnknownClient,
    caller_for_key,
    create_client,
    list_clients,
    revoke_client,
    revoke_key,
    rotate_key,
    rotate_secret,
)
from gateway.auth.scopes import SCOPES
from gateway.tenants import TENANTS
from gateway.versioning import CURRENT
from services.log_reader import Conn

# New clients are pinned to the API version current when they are created.
API_VERSION = CURRENT
_DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


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
                        scopes=sorted(SCOPES),  # with those the routes added (they are loaded by now)
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
        f"       -H 'Idempotency-Key: {os.urandom(8).hex()}' -H 'Content-Type: application/json' \\",
        '       -d \'{"person_kind": "natural_person", "display_name": "Camille Martin"}\'',
        f"  curl -s {base_url}/v1/members/<id> -H 'Authorization: Bearer {smartfr}'",
    ]
    return "\n".join(lines)


def add_client_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """`backoffice clients create | list | rotate-key | revoke-key | rotate-secret | revoke`."""
    clients = commands.add_parser("clients", help="API clients and their credentials")
    actions = clients.add_subparsers(dest="action", required=True)

    def action(name: str, help: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = actions.add_parser(name, help=help)
        parser.add_argument(
            "--database-url", default=os.environ.get("GATEWAY_DATABASE_URL", _DEFAULT_DATABASE_URL)
        )
        return parser

    create = action("create", help="a client; prints its client secret and API key once")
    create.add_argument("--tenant", required=True, choices=TENANTS)
    create.add_argument("--scope", action="append", required=True, help="repeat for each scope")
    create.add_argument("--name", default="API client")
    create.add_argument("--live", action="store_true", help="a coop_live_ key (default coop_test_)")
    listing = action("list", help="clients and their keys (never the keys themselves)")
    listing.add_argument("--tenant", choices=TENANTS)
    for name, what in (("rotate-key", "API key"), ("rotate-secret", "client secret")):
        rotate = action(name, help=f"a new {what}, printed once; the current ones work for the overlap")
        rotate.add_argument("--client", required=True)
        rotate.add_argument("--overlap-hours", type=float, default=24.0, help="0 stops the old ones now")
    revoke = action("revoke-key", help="stop one API key now")
    revoke.add_argument("--key", required=True, help="the key id (key_...), as `list` shows it")
    revoke_all = action("revoke", help="stop a client now: every key, secret and access token")
    revoke_all.add_argument("--client", required=True)


async def run_client_command(args: argparse.Namespace) -> None:
    from services.db import create_pool

    pool = await create_pool(args.database_url, "gateway", min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            print(await _client_command(conn, args))
    except UnknownClient as error:
        raise SystemExit(str(error)) from None
    finally:
        await pool.close()


async def _client_command(conn: Conn, args: argparse.Namespace) -> str:
    if args.action == "create":
        import gateway.entrypoints.definition  # noqa: F401  (its routes add the scopes they require)

        unknown = sorted(set(args.scope) - SCOPES.keys())
        if unknown:
            print(f"warning: scopes no route of this version knows: {' '.join(unknown)}", file=sys.stderr)
        made = await create_client(
            conn,
            tenant=args.tenant,
            name=args.name,
            scopes=args.scope,
            api_version=API_VERSION,
            live=args.live,
        )
        scopes = " ".join(sorted(set(args.scope)))
        return "\n".join(
            [
                f"client_id:     {made.client_id}",
                f"client_secret: {made.client_secret}",
                f"api_key:       {made.api_key}   ({made.key_id})",
                f"tenant {args.tenant}, scopes {scopes}, API version {API_VERSION}",
                "The secret and the key are shown once: keep them now. A token:",
                f"  curl -s -u '{made.client_id}:<client_secret>' -d grant_type=client_credentials"
                " http://127.0.0.1:8000/v1/oauth/token",
            ]
        )
    if args.action == "list":
        lines = []
        for client in await list_clients(conn, tenant=args.tenant):
            state = f"revoked {client.revoked_at:%Y-%m-%d %H:%M}Z" if client.revoked_at else "active"
            lines.append(
                f"{client.client_id}  {client.tenant:<15} {client.name!r}  {' '.join(client.scopes)}"
                f"  API {client.api_version}  {state}"
            )
            for key in client.keys:
                key_state = (
                    f"revoked {key.revoked_at:%Y-%m-%d %H:%M}Z"
                    if key.revoked_at
                    else f"expires {key.expires_at:%Y-%m-%d %H:%M}Z"
                    if key.expires_at
                    else "active"
                )
                lines.append(f"    {key.key_id}  {key.shown}...  {key_state}")
        return "\n".join(lines) or "no client"
    if args.action in ("rotate-key", "rotate-secret"):
        rotate = rotate_key if args.action == "rotate-key" else rotate_secret
        rotated = await rotate(conn, args.client, overlap=timedelta(hours=args.overlap_hours))
        shown = f"{rotated.credential}   ({rotated.key_id})" if rotated.key_id else rotated.credential
        return (
            f"new {'api_key' if rotated.key_id else 'client_secret'}: {shown}   (shown once: keep it now)\n"
            f"the previous ones work until {rotated.previous_valid_until:%Y-%m-%d %H:%M:%S}Z"
        )
    if args.action == "revoke-key":
        if not await revoke_key(conn, args.key):
            raise SystemExit(f"no active key {args.key!r}")
        return f"revoked {args.key}"
    if args.action == "revoke":
        if not await revoke_client(conn, args.client):
            raise SystemExit(f"no active client {args.client!r}")
        return f"revoked {args.client}: its keys, secrets and access tokens are refused"
    raise SystemExit(f"unknown action {args.action!r}")
