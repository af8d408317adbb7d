"""The walking skeleton in the embedded mode: one process, the PostgreSQL log as the bus."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from backoffice.embedded import EmbeddedBackoffice
from gateway.auth.api_keys import create_client
from tests.e2e.skeleton import APPLICATION, fresh_database, member_applies, member_reaches_contracts


@pytest.fixture
async def backoffice(database_url: str) -> AsyncIterator[EmbeddedBackoffice]:
    async with fresh_database(database_url) as url:
        running = EmbeddedBackoffice(url, poll_interval=0.2)
        await running.start()
        try:
            yield running
        finally:
            await running.stop()


@pytest.fixture
async def gateway(backoffice: EmbeddedBackoffice) -> AsyncIterator[httpx.AsyncClient]:
    app = backoffice.gateway.app
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        yield client


async def api_key(backoffice: EmbeddedBackoffice, tenant: str, *scopes: str) -> str:
    async with backoffice.gateway.pool.acquire() as conn:
        return (
            await create_client(
                conn, tenant=tenant, name="test", scopes=list(scopes), api_version="2026-11-26"
            )
        ).api_key


async def stored_events(backoffice: EmbeddedBackoffice) -> int:
    count: int = await backoffice.services["members"].pool.fetchval("SELECT count(*) FROM events")
    return count


async def test_a_member_who_applies_is_known_to_contracts_through_the_bus(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    key = await api_key(backoffice, "smartfr", "members:read", "members:write", "contracts:read")
    member_id = await member_applies(gateway, key)
    await member_reaches_contracts(gateway, key, member_id, within=15)


async def test_another_tenant_does_not_see_the_member(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    key = await api_key(backoffice, "smartfr", "members:read", "members:write", "contracts:read")
    other = await api_key(backoffice, "alterna", "members:read", "contracts:read")
    member_id = await member_applies(gateway, key)
    await member_reaches_contracts(gateway, key, member_id, within=15)
    for path in (f"/v1/members/{member_id}", f"/v1/employees/{member_id}"):
        answer = await gateway.get(path, headers={"Authorization": f"Bearer {other}"})
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("body", "content_type", "status", "param"),
    [
        (b'{"person_kind": "natural_person", "display_name": ', "application/json", 400, None),
        (b'{"person_kind": "natural_person", "display_name": 42}', "application/json", 400, "display_name"),
        (b'{"person_kind": "robot", "display_name": "R2"}', "application/json", 400, "person_kind"),
        (
            b'{"person_kind": "natural_person", "display_name": "A", "shoe_size": 44}',
            "application/json",
            400,
            "shoe_size",
        ),
        (
            b'{"person_kind": "natural_person", "display_name": "A", "category": 12}',
            "application/json",
            400,
            "category",
        ),
        (
            b'{"person_kind": "natural_person", "display_name": "' + b"x" * 2_000_000 + b'"}',
            "application/json",
            413,
            None,
        ),
    ],
    ids=["malformed-json", "wrong-type", "wrong-value", "unknown-field", "out-of-range", "oversize-body"],
)
async def test_bad_input_is_refused_with_a_problem_naming_the_field_and_nothing_is_stored(
    backoffice: EmbeddedBackoffice,
    gateway: httpx.AsyncClient,
    body: bytes,
    content_type: str,
    status: int,
    param: str | None,
) -> None:
    key = await api_key(backoffice, "smartfr", "members:write")
    answer = await gateway.post(
        "/v1/members", content=body, headers={"Authorization": f"Bearer {key}", "Content-Type": content_type}
    )
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["status"] == status
    assert problem["request_id"] == answer.headers["request-id"]
    if param is not None:
        assert param in problem["param"], problem
    assert await stored_events(backoffice) == 0


async def test_a_call_without_credential_or_scope_is_refused(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    reader = await api_key(backoffice, "smartfr", "members:read")
    anonymous = await gateway.post("/v1/members", json=APPLICATION)
    assert anonymous.status_code == 401
    forged = await gateway.post(
        "/v1/members", json=APPLICATION, headers={"Authorization": "Bearer coop_test_x"}
    )
    assert forged.status_code == 401
    no_scope = await gateway.post(
        "/v1/members", json=APPLICATION, headers={"Authorization": f"Bearer {reader}"}
    )
    assert no_scope.status_code == 403
    assert no_scope.json()["code"] == "insufficient_scope"
    assert await stored_events(backoffice) == 0


async def test_a_service_refuses_a_call_without_the_gateways_token(backoffice: EmbeddedBackoffice) -> None:
    app = backoffice.services["members"].app
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://members"
    ) as members:
        answer = await members.post("/internal/members", json=APPLICATION)
    assert answer.status_code == 401
    assert answer.json()["code"] == "internal_token_missing"


async def test_the_callers_trace_travels_with_the_public_event(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    key = await api_key(backoffice, "smartfr", "members:write")
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    answer = await gateway.post(
        "/v1/members",
        json=APPLICATION,
        headers={"Authorization": f"Bearer {key}", "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"},
    )
    assert answer.status_code == 201, answer.text
    members = backoffice.services["members"].pool
    traceparent = await members.fetchval("SELECT envelope->>'traceparent' FROM outbox")
    assert traceparent is not None
    assert traceparent.split("-")[1] == trace_id
