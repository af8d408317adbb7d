"""`backoffice clients ...`: the admin command prints each credential once, and what it does takes effect."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest_asyncio

from backoffice.embedded import EmbeddedBackoffice

CACHE_SECONDS = 0.3


@pytest_asyncio.fixture(scope="module")
async def backoffice(database_url: str) -> AsyncIterator[EmbeddedBackoffice]:
    name = f"cli_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(database_url)
    await admin.execute(f"CREATE DATABASE {name}")
    url = database_url.rsplit("/", 1)[0] + f"/{name}"
    running = EmbeddedBackoffice(url, poll_interval=0.2, credential_cache_seconds=CACHE_SECONDS)
    try:
        await running.start()
        yield running
    finally:
        await running.stop()
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


@pytest_asyncio.fixture(scope="module")
async def gateway(backoffice: EmbeddedBackoffice) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=backoffice.gateway.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


async def backoffice_clients(backoffice: EmbeddedBackoffice, *args: str) -> str:
    command = [sys.executable, "-m", "backoffice.cli", "clients", *args]
    command += ["--database-url", backoffice.gateway.settings.database_url]
    done = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def field(output: str, name: str) -> str:
    found = re.search(rf"^{name}:\s+(\S+)", output, re.MULTILINE)
    assert found, output
    return found.group(1)


async def status_with(gateway: httpx.AsyncClient, credential: str) -> int:
    answer = await gateway.get(
        f"/v1/members/{uuid.uuid4()}", headers={"Authorization": f"Bearer {credential}"}
    )
    return answer.status_code


async def until_status(gateway: httpx.AsyncClient, credential: str, status: int) -> None:
    deadline = time.monotonic() + 5
    while (found := await status_with(gateway, credential)) != status:
        assert time.monotonic() < deadline, f"still {found}"
        await asyncio.sleep(0.05)


async def test_create_prints_a_client_secret_and_an_api_key_once_that_work(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    output = await backoffice_clients(
        backoffice, "create", "--tenant", "alterna", "--scope", "members:read", "--scope", "members:write"
    )
    client_id, secret, key = (
        field(output, "client_id"),
        field(output, "client_secret"),
        field(output, "api_key"),
    )
    assert key.startswith("coop_test_")
    assert "API version 2026-11-26" in output
    token = await gateway.post(
        "/v1/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert token.status_code == 200, token.text
    assert await status_with(gateway, token.json()["access_token"]) == 404  # authorised; no such member
    assert await status_with(gateway, key) == 404
    # Stored as digests only, and pinned to the version current at creation.
    stored = await backoffice.gateway.pool.fetchrow(
        "SELECT c.api_version, k.key_hash FROM api_clients c JOIN api_keys k USING (client_id)"
        " WHERE client_id = $1",
        client_id,
    )
    assert stored is not None
    assert stored["api_version"] == "2026-11-26"
    assert len(stored["key_hash"]) == 32  # a SHA-256, not the key
    listing = await backoffice_clients(backoffice, "list", "--tenant", "alterna")
    assert client_id in listing
    assert key not in listing
    assert secret not in listing


async def test_rotate_key_keeps_the_old_key_for_the_overlap_and_revoke_key_stops_it(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    created = await backoffice_clients(backoffice, "create", "--tenant", "smartfr", "--scope", "members:read")
    client_id, old_key = field(created, "client_id"), field(created, "api_key")
    rotated = await backoffice_clients(backoffice, "rotate-key", "--client", client_id)
    new_key = field(rotated, "new api_key")
    assert "the previous ones work until" in rotated
    assert await status_with(gateway, old_key) == 404
    assert await status_with(gateway, new_key) == 404

    # The listing names the old key by its id and first characters, with its expiry.
    listing = await backoffice_clients(backoffice, "list", "--tenant", "smartfr")
    old_line = next(line for line in listing.splitlines() if old_key[:14] in line)
    assert "expires" in old_line
    await backoffice_clients(backoffice, "revoke-key", "--key", old_line.split()[0])
    await until_status(gateway, old_key, 401)
    assert await status_with(gateway, new_key) == 404


async def test_revoke_stops_every_credential_of_the_client(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    created = await backoffice_clients(backoffice, "create", "--tenant", "smartfr", "--scope", "members:read")
    client_id, key = field(created, "client_id"), field(created, "api_key")
    await backoffice_clients(backoffice, "revoke", "--client", client_id)
    await until_status(gateway, key, 401)
    assert "revoked" in await backoffice_clients(backoffice, "list", "--tenant", "smartfr")
