"""API2 broken authentication: forged, expired, wrong-audience, `alg=none` tokens, API keys, on every route.

The tenant matrix (tests/e2e/test_tenant_matrix.py) sends the common bad credentials to every operation of the
document (none, garbage, unknown API key, expired, wrong audience, wrong issuer, `alg=none`, bad signature);
gateway/tests/unit/test_tokens.py covers the verifier (HS256 with the public key as secret, another key under
our key id, changed claims, unknown key id, missing `at+jwt` type) and gateway/tests/integration/test_auth.py
revocation and rotation. These add the header tricks of JOSE (a key embedded in the token or fetched from a
URL it names, a key id that is a path), API keys altered by one character or in another case, credentials
sent anywhere but the Authorization header's Bearer scheme, and a tenant named by the caller: all refused
with 401 problem+json (or, for the tenant, ignored) on every operation.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gateway.auth.middleware import authenticator_of
from gateway.auth.scopes import SCOPES
from tests.e2e.test_tenant_matrix import EXCLUDED, OPERATIONS, TENANT_A, TENANT_B, World, example_body
from tests.security.conftest import filled

CALLED = [o for o in OPERATIONS if (o.method, o.path) not in EXCLUDED and o.path != "/v1/oauth/token"]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _attacker_tokens(world: World) -> dict[str, str]:
    tokens = authenticator_of(world.backoffice.gateway.app).tokens
    good = tokens.issue(
        client_id="cli_0000000000000000", tenant=TENANT_A, scopes=frozenset(SCOPES)
    ).access_token
    header, claims = jwt.get_unverified_header(good), jwt.decode(good, options={"verify_signature": False})
    mine = ec.generate_private_key(ec.SECP256R1())
    pem = mine.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    numbers = mine.public_key().public_numbers()
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64(numbers.x.to_bytes(32, "big")),
        "y": _b64(numbers.y.to_bytes(32, "big")),
    }
    unsigned = f"{_b64(json.dumps({**header, 'alg': 'none'}).encode())}.{_b64(json.dumps(claims).encode())}"
    return {
        "embedded jwk": jwt.encode(claims, pem, "ES256", {**header, "jwk": jwk}),
        "jku to the attacker": jwt.encode(claims, pem, "ES256", {**header, "jku": "https://evil.test/jwks"}),
        "x5u to the attacker": jwt.encode(claims, pem, "ES256", {**header, "x5u": "https://evil.test/cert"}),
        "kid as a path": jwt.encode(claims, pem, "ES256", {**header, "kid": "../../../../dev/null"}),
        "alg None capitalised": unsigned.replace(_b64(b'"none"'), _b64(b'"None"')) + ".",
        "alg none with a signature kept": unsigned + "." + good.rsplit(".", 1)[1],
        "signature stripped": good.rsplit(".", 1)[0] + ".",
        "good token for tenant A, tenant claim changed": ".".join(
            (
                good.split(".")[0],
                _b64(json.dumps({**claims, "tenant": TENANT_B}).encode()),
                good.split(".")[2],
            )
        ),
    }


def _altered_keys(key: str) -> dict[str, str]:
    last = "A" if key[-1] != "A" else "B"
    return {
        "API key, last character changed": key[:-1] + last,
        "API key, upper-cased": key.upper() if key.upper() != key else key.lower(),
        "API key, cut short": key[:-1],
        "API key, one character more": key + "A",
        "API key, live prefix": key.replace("_test_", "_live_", 1),
    }


def _call_args(world: World, operation: Any) -> dict[str, Any]:
    body = example_body(world.document, operation) if operation.spec.get("requestBody") else None
    return {"json": body} if body is not None else {}


@pytest.mark.parametrize("operation", CALLED, ids=[o.id for o in CALLED])
async def test_forged_tokens_and_altered_api_keys_are_refused_with_401(world: World, operation: Any) -> None:
    path = await filled(world, operation)
    key = await world.key(TENANT_A, frozenset(SCOPES))
    credentials = {**_attacker_tokens(world), **_altered_keys(key)}
    for what, credential in credentials.items():
        headers = {"Authorization": f"Bearer {credential}", "Idempotency-Key": str(uuid.uuid4())}
        answer = await world.gateway.request(
            operation.method, path, headers=headers, **_call_args(world, operation)
        )
        assert answer.status_code == 401, f"{operation.id} with {what}: {answer.status_code} {answer.text}"
        assert answer.headers["content-type"].startswith("application/problem+json"), what
        assert answer.headers["www-authenticate"].startswith("Bearer"), what


async def test_a_credential_anywhere_but_a_bearer_authorization_header_is_not_one(world: World) -> None:
    key = await world.key(TENANT_A, frozenset(SCOPES))
    placements: dict[str, dict[str, Any]] = {
        "query string access_token": {"params": {"access_token": key}},
        "query string api_key": {"params": {"api_key": key}},
        "basic scheme": {
            "headers": {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
        },
        "no scheme": {"headers": {"Authorization": key}},
        "token scheme": {"headers": {"Authorization": f"Token {key}"}},
        "X-API-Key header": {"headers": {"X-API-Key": key}},
    }
    for what, placement in placements.items():
        answer = await world.gateway.get("/v1/members", **placement)
        assert answer.status_code == 401, f"{what}: {answer.status_code} {answer.text}"
        assert answer.headers["content-type"].startswith("application/problem+json"), what
    # And a cookie (set on the client: httpx deprecates per-request cookies).
    world.gateway.cookies.set("access_token", key)
    try:
        answer = await world.gateway.get("/v1/members")
    finally:
        world.gateway.cookies.clear()
    assert answer.status_code == 401, f"cookie: {answer.status_code} {answer.text}"


async def test_the_tenant_is_the_credentials_whatever_the_request_says(world: World) -> None:
    # Given a member of tenant B.
    owner_b = await world.key(TENANT_B, frozenset(SCOPES))
    created = await world.gateway.post(
        "/v1/members",
        json={"person_kind": "natural_person", "display_name": "Tenant Bee", "category": 1},
        headers={"Authorization": f"Bearer {owner_b}", "Idempotency-Key": str(uuid.uuid4())},
    )
    assert created.status_code == 201, created.text
    path = f"/v1/members/{created.json()['id']}"
    await _visible(world, path, owner_b)
    # When tenant A asks for it naming tenant B in every place a tenant could be read from: 404.
    key_a = await world.key(TENANT_A, frozenset(SCOPES))
    for headers, params in (
        ({"X-Tenant": TENANT_B}, {}),
        ({"Tenant": TENANT_B}, {}),
        ({"X-Forwarded-Tenant": TENANT_B}, {}),
        ({}, {"tenant": TENANT_B}),
    ):
        answer = await world.gateway.get(
            path, params=params, headers={"Authorization": f"Bearer {key_a}", **headers}
        )
        assert answer.status_code == 404, f"{headers} {params}: {answer.text}"


async def _visible(world: World, path: str, key: str) -> None:
    """Wait until the owner reads it (read models are eventually consistent): a 404 then means refused."""
    deadline = asyncio.get_running_loop().time() + 20
    while (await world.gateway.get(path, headers={"Authorization": f"Bearer {key}"})).status_code != 200:
        assert asyncio.get_running_loop().time() < deadline, f"{path} never became readable by its owner"
        await asyncio.sleep(0.05)
