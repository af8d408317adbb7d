"""The walking skeleton's flow, written once and run against each mode."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import asyncpg
import httpx

APPLICATION = {"person_kind": "natural_person", "display_name": "Camille Martin", "category": 1}


@asynccontextmanager
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    """A database of its own: the services' schemas have fixed names, so each run gets its own database."""
    name = f"e2e_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    try:
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()


async def eventually(
    probe: Callable[[], Awaitable[httpx.Response]], *, status: int, within: float
) -> httpx.Response:
    """Polls until the probe answers `status` (a condition with a deadline, not a sleep)."""
    deadline = time.monotonic() + within
    while True:
        answer = await probe()
        if answer.status_code == status:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"still {answer.status_code} after {within}s: {answer.text}")
        await asyncio.sleep(0.05)


async def member_applies(client: httpx.AsyncClient, api_key: str, *, traceparent: str | None = None) -> str:
    headers = {"Authorization": f"Bearer {api_key}"}
    if traceparent:
        headers["traceparent"] = traceparent
    answer = await client.post("/v1/members", json=APPLICATION, headers=headers)
    assert answer.status_code == 201, answer.text
    member = answer.json()
    assert member["status"] == "applied"
    assert member["display_name"] == "Camille Martin"
    return str(member["id"])


async def member_reaches_contracts(
    client: httpx.AsyncClient, api_key: str, member_id: str, within: float
) -> None:
    auth = {"Authorization": f"Bearer {api_key}"}
    employee = await eventually(
        lambda: client.get(f"/v1/employees/{member_id}", headers=auth), status=200, within=within
    )
    assert employee.json()["id"] == member_id
    assert employee.json()["person_kind"] == "natural_person"
    member = await eventually(
        lambda: client.get(f"/v1/members/{member_id}", headers=auth), status=200, within=within
    )
    assert member.json()["id"] == member_id
