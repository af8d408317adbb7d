"""API2 / API8 secrets: every credential and signing secret is hashed or encrypted at rest, and never logged.

Each kind of secret the back-office hands out is made through its real path (an API client's secret and API
key, an access token, an outbound endpoint's signing secret, an association's inbound webhook secret) and
used once; then every column of every table of every schema is read as text (and bytea as hex) looking for
it, and so is every log record the suite captured (message, fields and traceback).
"""

from __future__ import annotations

import random
import uuid

from stdnum import luhn

from gateway.auth.api_keys import create_client
from gateway.auth.scopes import SCOPES
from tests.e2e.test_tenant_matrix import API_VERSION, OPERATIONS, TENANT_A, World, example_body
from tests.security.conftest import Captured
from tests.security.scan import where_found


def _auth(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}", "Idempotency-Key": str(uuid.uuid4())}


async def _secrets(world: World) -> dict[str, str]:
    async with world.backoffice.gateway.pool.acquire() as conn:
        made = await create_client(
            conn, tenant=TENANT_A, name="secrets", scopes=sorted(SCOPES), api_version=API_VERSION
        )
        pusher = await create_client(
            conn, tenant=TENANT_A, name="association", scopes=["webhooks:send"], api_version=API_VERSION
        )
    token = await world.gateway.post(
        "/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(made.client_id, made.client_secret),
    )
    assert token.status_code == 200, token.text
    access_token = token.json()["access_token"]
    endpoint = await world.gateway.post(
        "/v1/webhook_endpoints",
        json={"url": "http://127.0.0.1:9/secrets", "event_types": ["member.applied"]},
        headers=_auth(made.api_key),
    )
    assert endpoint.status_code == 201, endpoint.text
    structure = await _fresh_structure(world, made.api_key)
    inbound = await world.gateway.post(
        f"/v1/employer_structures/{structure}/webhook_secret",
        json={"client_id": pusher.client_id},
        headers=_auth(access_token),
    )
    assert inbound.status_code in (200, 201), inbound.text
    # Each is used once, so that whatever logs a request has had its chance.
    for credential in (made.api_key, access_token):
        used = await world.gateway.get("/v1/members", headers=_auth(credential))
        assert used.status_code == 200, used.text
    secrets = {
        "client secret": made.client_secret,
        "API key": made.api_key,
        "access token": access_token,
        "endpoint signing secret": endpoint.json()["secret"],
        "inbound webhook secret": inbound.json()["secret"],
    }
    # A whsec_ secret is base64 of the key: the key's text without the prefix must not be found either.
    for what in ("endpoint signing secret", "inbound webhook secret"):
        secrets[f"{what} without its prefix"] = secrets[what].removeprefix("whsec_")
    return secrets


async def _fresh_structure(world: World, key: str) -> str:
    """An active association of its own (other tests suspend the shared one), under a SIRET of its own."""
    siren = "".join(random.choices("0123456789", k=8))
    siren += luhn.calc_check_digit(siren)
    siret = siren + "".join(random.choices("0123456789", k=4))
    siret += luhn.calc_check_digit(siret)
    operation = next(o for o in OPERATIONS if (o.method, o.path) == ("POST", "/v1/employer_structures"))
    body = {k: v for k, v in example_body(world.document, operation).items() if k != "vat_number"}
    created = await world.gateway.post(
        "/v1/employer_structures", json={**body, "siret": siret}, headers=_auth(key)
    )
    assert created.status_code == 201, created.text
    structure: str = created.json()["id"]
    return structure


async def test_no_secret_is_stored_or_logged_in_clear(world: World, captured_logs: Captured) -> None:
    secrets = await _secrets(world)
    # The access token's signature part alone would let no one in; its whole is a credential.
    assert await where_found(world, secrets) == []
    logged = [
        f"{what} in: {line[:200]}" for line in captured_logs.lines for what, s in secrets.items() if s in line
    ]
    assert logged == []
    assert captured_logs.lines, "no log record was captured: the scan would prove nothing"


async def test_a_problem_never_echoes_the_credential_it_refused(
    world: World, captured_logs: Captured
) -> None:
    forged = "coop_test_" + uuid.uuid4().hex + "Zz"
    answer = await world.gateway.get("/v1/members", headers={"Authorization": f"Bearer {forged}"})
    assert answer.status_code == 401
    assert forged not in answer.text
    assert not [line for line in captured_logs.lines if forged in line]
