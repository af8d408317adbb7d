"""The walking skeleton's steps, written once and run against each mode."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

import httpx

APPLICATION = {"person_kind": "natural_person", "display_name": "Camille Martin", "category": 1}


def auth(api_key: str, **extra: str) -> dict[str, str]:
    """The headers of a call: the credential, and an Idempotency-Key as every POST carries."""
    return {"Authorization": f"Bearer {api_key}", "Idempotency-Key": str(uuid.uuid4()), **extra}


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
    headers = auth(api_key, **({"traceparent": traceparent} if traceparent else {}))
    answer = await client.post("/v1/members", json=APPLICATION, headers=headers)
    assert answer.status_code == 201, answer.text
    member = answer.json()
    assert member["status"] == "applied"
    assert member["display_name"] is None  # a POST answer carries no personal data (ADR 008)
    return str(member["id"])


async def member_reaches_contracts(
    client: httpx.AsyncClient, api_key: str, member_id: str, within: float
) -> None:
    headers = auth(api_key)
    employee = await eventually(
        lambda: client.get(f"/v1/employees/{member_id}", headers=headers), status=200, within=within
    )
    assert employee.json()["id"] == member_id
    assert employee.json()["person_kind"] == "natural_person"
    member = await eventually(
        lambda: client.get(f"/v1/members/{member_id}", headers=headers), status=200, within=within
    )
    assert member.json()["id"] == member_id


async def until(condition: Callable[[], Awaitable[bool]], *, within: float) -> None:
    """Polls until `condition` holds (a projection catching up), failing after `within` seconds."""
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{condition.__name__} still false after {within}s")
        await asyncio.sleep(0.05)
