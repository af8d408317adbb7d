"""An employer structure's inbound webhook secret in each mode: issued through the API, a push signed with it
accepted, another tenant's 404, and the secret revoked over the bus when the structure is closed.

(The 24-hour overlap of a rotation moves the gateway's clock, so it is shown embedded only:
gateway/tests/integration/test_employer_webhook_secrets.py.)
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from standardwebhooks import Webhook
from stdnum import luhn

from gateway.auth.api_keys import create_client
from services.db import create_pool
from tests.e2e.deployments import API_VERSION, Deployment
from tests.e2e.skeleton import auth, until

WITHIN = 30.0
PING = "/v1/webhooks/inbound/test.ping"
BODY = '{"hello": "association"}'


def signed(api_key: str, secret: str) -> dict[str, str]:
    webhook_id = f"msg_{uuid.uuid4().hex}"
    now = time.time()
    at = datetime.fromtimestamp(now, UTC)
    return {
        "Authorization": f"Bearer {api_key}",
        "Content-Type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now)),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, BODY),
    }


async def association_client(deployment: Deployment) -> tuple[str, str]:
    """The association's API client (scope webhooks:send): its id and its key."""
    pool = await create_pool(deployment.database_url, "gateway")
    try:
        async with pool.acquire() as conn:
            client = await create_client(
                conn, tenant="smartfr", name="association", scopes=["webhooks:send"], api_version=API_VERSION
            )
    finally:
        await pool.close()
    return client.client_id, client.api_key


async def test_a_structure_gets_its_secret_pushes_with_it_and_loses_it_when_closed(
    deployment: Deployment,
) -> None:
    manager = await deployment.api_key("smartfr", "members:read", "members:write", "webhooks:manage")
    pusher_id, pusher = await association_client(deployment)
    body = f"732829320{uuid.uuid4().int % 10_000:04d}"  # SIREN 732829320 and a random NIC
    registration: dict[str, Any] = {
        "siret": body + luhn.calc_check_digit(body),
        "legal_name": "Compagnie du Quai",
        "kind": "association",
        "address": {"street": "3 quai de Seine", "postal_code": "75019", "city": "Paris"},
        "contacts": [{"name": "Inès Robin", "email": "ines@quai.example"}],
    }
    registered = await deployment.gateway.post(
        "/v1/employer_structures", json=registration, headers=auth(manager)
    )
    assert registered.status_code == 201, registered.text
    structure = registered.json()["id"]
    path = f"/v1/employer_structures/{structure}/webhook_secret"

    stranger = await deployment.api_key("alterna", "webhooks:manage")
    hidden = await deployment.gateway.post(path, json={"client_id": pusher_id}, headers=auth(stranger))
    assert hidden.status_code == 404, hidden.text

    issued = await deployment.gateway.post(path, json={"client_id": pusher_id}, headers=auth(manager))
    assert issued.status_code == 201, issued.text
    secret = issued.json()["secret"]
    accepted = await deployment.gateway.post(PING, content=BODY, headers=signed(pusher, secret))
    assert accepted.status_code == 202, accepted.text

    closing = {"status": "closed", "reason": "dissolved", "effective_on": "2026-12-31"}
    closed = await deployment.gateway.patch(
        f"/v1/employer_structures/{structure}", json=closing, headers=auth(manager)
    )
    assert closed.status_code == 200, closed.text

    async def revoked() -> bool:
        answer = await deployment.gateway.post(PING, content=BODY, headers=signed(pusher, secret))
        return answer.status_code == 401

    await until(revoked, within=WITHIN)
    refused = await deployment.gateway.post(path, json={}, headers=auth(manager))
    assert refused.status_code == 409, refused.text
