"""An employer structure's inbound webhook secret through the API (embedded back-office, real PostgreSQL).

POST /v1/employer_structures/{id}/webhook_secret issues it once members-svc says the structure is the caller's
tenant's and active; a rotation keeps the previous secret 24 hours (the app's clock is moved, no sleep); a
suspension revokes them through members' public event. Messages are signed with the `standardwebhooks`
package, as an association's sender would.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from standardwebhooks import Webhook
from stdnum import luhn

from backoffice.embedded import EmbeddedBackoffice
from gateway.auth.api_keys import create_client
from gateway.clock import clock_of
from gateway.inbound.sources import pusher_for_client, source_of_employer_structure

PING = "/v1/webhooks/inbound/test.ping"
BODY = b'{"hello": "association"}'
SIREN = "732829320"
WITHIN = 20.0


def siret() -> str:
    """A valid SIRET of SIREN 732829320 with a random establishment number (NIC) and its Luhn key."""
    without_key = f"{SIREN}{uuid.uuid4().int % 10_000:04d}"
    return without_key + luhn.calc_check_digit(without_key)


@pytest.fixture(scope="module")
async def backoffice(database_url: str) -> AsyncIterator[EmbeddedBackoffice]:
    name = f"es_secrets_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    running = EmbeddedBackoffice(database_url.rsplit("/", 1)[0] + f"/{name}", poll_interval=0.2)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
        admin = await asyncpg.connect(database_url)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()


@pytest.fixture
async def gateway(backoffice: EmbeddedBackoffice) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=backoffice.gateway.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


async def client(backoffice: EmbeddedBackoffice, tenant: str, *scopes: str) -> tuple[str, str]:
    async with backoffice.gateway.pool.acquire() as conn:
        made = await create_client(
            conn,
            tenant=tenant,
            name=f"c_{uuid.uuid4().hex[:8]}",
            scopes=list(scopes),
            api_version="2026-11-26",
        )
    return made.client_id, made.api_key


def auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}", "Idempotency-Key": str(uuid.uuid4())}


def signed(api_key: str, secret: str, at: datetime) -> dict[str, str]:
    webhook_id = f"msg_{uuid.uuid4().hex}"
    return {
        "Authorization": f"Bearer {api_key}",
        "Content-Type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, BODY.decode()),
    }


async def until(condition: Callable[[], Awaitable[bool]], *, within: float) -> None:
    """Polls until `condition` holds (the consumer caught up), failing after `within` seconds."""
    deadline = time.monotonic() + within
    while not await condition():
        assert time.monotonic() < deadline, f"{condition.__name__} still false after {within}s"
        await asyncio.sleep(0.05)


async def registered_structure(gateway: httpx.AsyncClient, key: str) -> str:
    registration: dict[str, Any] = {
        "siret": siret(),
        "legal_name": "Les Ateliers du Spectacle",
        "kind": "association",
        "address": {"street": "12 rue des Arts", "postal_code": "75011", "city": "Paris"},
        "contacts": [{"name": "Léa Garnier", "email": "lea@ateliers.example"}],
    }
    answer = await gateway.post("/v1/employer_structures", json=registration, headers=auth(key))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def test_a_secret_is_issued_rotated_with_24_hours_of_overlap_and_revoked_on_suspension(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    clock = clock_of(backoffice.gateway.app)
    _, manager = await client(backoffice, "smartfr", "members:read", "members:write", "webhooks:manage")
    pusher_id, pusher = await client(backoffice, "smartfr", "webhooks:send")
    structure = await registered_structure(gateway, manager)
    secret_path = f"/v1/employer_structures/{structure}/webhook_secret"

    # The first secret names the association's API client; without it, 400 naming the field.
    unnamed = await gateway.post(secret_path, json={}, headers=auth(manager))
    assert unnamed.status_code == 400, unnamed.text
    assert unnamed.json()["param"] == "body.client_id"
    first = await gateway.post(secret_path, json={"client_id": pusher_id}, headers=auth(manager))
    assert first.status_code == 201, first.text
    assert first.headers["cache-control"] == "no-store"
    first_secret = first.json()["secret"]
    assert first_secret.startswith("whsec_")
    assert first.json()["previous_secret_expires_at"] is None
    accepted = await gateway.post(PING, content=BODY, headers=signed(pusher, first_secret, clock.now()))
    assert accepted.status_code == 202, accepted.text

    # A rotation: the new secret, and the first one valid for 24 hours more.
    rotated = await gateway.post(secret_path, json={}, headers=auth(manager))
    assert rotated.status_code == 201, rotated.text
    new_secret = rotated.json()["secret"]
    issued_at = datetime.fromisoformat(rotated.json()["issued_at"])
    assert datetime.fromisoformat(rotated.json()["previous_secret_expires_at"]) == issued_at + timedelta(
        hours=24
    )
    for secret in (first_secret, new_secret):
        answer = await gateway.post(PING, content=BODY, headers=signed(pusher, secret, clock.now()))
        assert answer.status_code == 202, answer.text
    clock.advance(timedelta(hours=23, minutes=59))
    late = await gateway.post(PING, content=BODY, headers=signed(pusher, first_secret, clock.now()))
    assert late.status_code == 202, late.text
    clock.advance(timedelta(minutes=2))
    expired = await gateway.post(PING, content=BODY, headers=signed(pusher, first_secret, clock.now()))
    assert expired.status_code == 401
    assert expired.json()["code"] == "webhook_signature_invalid"
    current = await gateway.post(PING, content=BODY, headers=signed(pusher, new_secret, clock.now()))
    assert current.status_code == 202, current.text

    # members-svc recorded both issues, without the secret.
    members = backoffice.services["members"]
    recorded = await members.pool.fetch(
        "SELECT data::text AS data FROM events WHERE stream_id = $1 AND event_type = 'WebhookSecretIssued'",
        f"employer-{structure}",
    )
    assert len(recorded) == 2
    everything = await members.pool.fetchval(
        "SELECT string_agg(data::text, '') FROM events"
    ) + await members.pool.fetchval("SELECT coalesce(string_agg(envelope::text, ''), '') FROM outbox")
    for secret in (first_secret, new_secret):
        assert secret.removeprefix("whsec_") not in everything

    # Suspended: members' public event revokes the secrets in the gateway, and no new one is issued.
    change = {
        "status": "suspended",
        "reason": "unpaid invoices",
        "effective_on": clock.now().date().isoformat(),
    }
    suspended = await gateway.patch(
        f"/v1/employer_structures/{structure}", json=change, headers=auth(manager)
    )
    assert suspended.status_code == 200, suspended.text

    async def revoked() -> bool:  # what a push of the association reads first: its source, no secret left
        async with backoffice.gateway.pool.acquire() as conn:
            found = await pusher_for_client(conn, pusher_id, now=clock.now())
        assert found is not None
        assert found.source.source_id == source_of_employer_structure(uuid.UUID(structure))
        return found.sealed_secrets == ()

    await until(revoked, within=WITHIN)
    refused = await gateway.post(PING, content=BODY, headers=signed(pusher, new_secret, clock.now()))
    assert refused.status_code == 401
    again = await gateway.post(secret_path, json={}, headers=auth(manager))
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "employer_structure_not_active"


async def test_another_tenant_gets_404_and_nothing_is_issued(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    _, manager = await client(backoffice, "smartfr", "members:read", "members:write", "webhooks:manage")
    structure = await registered_structure(gateway, manager)
    _, stranger = await client(backoffice, "grandsensemble", "webhooks:manage")
    stranger_pusher, _ = await client(backoffice, "grandsensemble", "webhooks:send")
    answer = await gateway.post(
        f"/v1/employer_structures/{structure}/webhook_secret",
        json={"client_id": stranger_pusher},
        headers=auth(stranger),
    )
    assert answer.status_code == 404, answer.text
    assert answer.json()["code"] == "employer_structure_not_found"
    # Whatever the body names (here the owner's own pushing client), the structure is not the stranger's.
    owners_pusher, _ = await client(backoffice, "smartfr", "webhooks:send")
    for body in ({"client_id": owners_pusher}, {}):
        answer = await gateway.post(
            f"/v1/employer_structures/{structure}/webhook_secret", json=body, headers=auth(stranger)
        )
        assert answer.status_code == 404, answer.text
    source = source_of_employer_structure(uuid.UUID(structure))
    stored = await backoffice.gateway.pool.fetchval(
        "SELECT (SELECT count(*) FROM inbound_sources WHERE source_id = $1)"
        " + (SELECT count(*) FROM inbound_secrets WHERE source_id = $1)",
        source,
    )
    assert stored == 0
    # And a caller without the scope is refused.
    _, reader = await client(backoffice, "smartfr", "members:read")
    forbidden = await gateway.post(
        f"/v1/employer_structures/{structure}/webhook_secret", json={}, headers=auth(reader)
    )
    assert forbidden.status_code == 403
