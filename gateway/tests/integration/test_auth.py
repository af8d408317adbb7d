"""Access through the embedded back-office: the OAuth2 token endpoint, Bearer tokens and API keys, rotation
and revocation, and the caller left in the request state for the middlewares after it."""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
import pytest_asyncio

from backoffice.embedded import EmbeddedBackoffice
from gateway.auth.api_keys import (
    NewClient,
    create_client,
    revoke_client,
    revoke_key,
    rotate_key,
    rotate_secret,
)
from gateway.auth.client import ApiClient
from gateway.auth.middleware import CallerMiddleware, authenticator_of
from gateway.auth.resolver import Authenticator

API_VERSION = "2026-11-26"
APPLICATION = {"person_kind": "natural_person", "display_name": "Camille Martin", "category": 1}
CACHE_SECONDS = 0.3
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@asynccontextmanager
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    name = f"auth_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


@pytest_asyncio.fixture(scope="module")
async def backoffice(database_url: str) -> AsyncIterator[EmbeddedBackoffice]:
    async with fresh_database(database_url) as url:
        running = EmbeddedBackoffice(
            url, poll_interval=0.2, credential_cache_seconds=CACHE_SECONDS, rate_limit_quota=100_000
        )
        await running.start()
        try:
            yield running
        finally:
            await running.stop()


@pytest_asyncio.fixture(scope="module")
async def gateway(backoffice: EmbeddedBackoffice) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=backoffice.gateway.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


async def new_client(backoffice: EmbeddedBackoffice, tenant: str = "smartfr", *scopes: str) -> NewClient:
    async with backoffice.gateway.pool.acquire() as conn:
        return await create_client(
            conn,
            tenant=tenant,
            name="test",
            scopes=list(scopes or ("members:read", "members:write")),
            api_version=API_VERSION,
        )


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


async def token_for(gateway: httpx.AsyncClient, made: NewClient, scope: str | None = None) -> str:
    form = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    answer = await gateway.post(
        "/v1/oauth/token", data=form, headers=basic(made.client_id, made.client_secret)
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


async def read_unknown_member(gateway: httpx.AsyncClient, credential: str) -> httpx.Response:
    """An authorised read of a member that does not exist answers 404; a refused credential, 401."""
    return await gateway.get(f"/v1/members/{uuid.uuid4()}", headers=bearer(credential))


async def eventually(
    probe: Callable[[], Awaitable[httpx.Response]], status: int, within: float = 5.0
) -> httpx.Response:
    deadline = time.monotonic() + within
    while True:
        answer = await probe()
        if answer.status_code == status or time.monotonic() > deadline:
            assert answer.status_code == status, answer.text
            return answer
        await asyncio.sleep(0.05)


def assert_problem(answer: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = answer.json()
    assert problem["code"] == code, problem
    assert problem["status"] == status
    return problem


async def test_a_client_gets_a_token_with_basic_authentication_and_works_with_it(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    made = await new_client(backoffice)
    answer = await gateway.post(
        "/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic(made.client_id, made.client_secret),
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["scope"] == "members:read members:write"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == made.client_id
    assert claims["tenant"] == "smartfr"
    assert claims["aud"] == backoffice.gateway.settings.token_audience  # type: ignore[attr-defined]

    headers = {**bearer(body["access_token"]), "Idempotency-Key": str(uuid.uuid4())}
    created = await gateway.post("/v1/members", json=APPLICATION, headers=headers)
    assert created.status_code == 201, created.text
    member_id = created.json()["id"]
    read = await eventually(
        lambda: gateway.get(f"/v1/members/{member_id}", headers=bearer(body["access_token"])), 200
    )
    assert read.json()["display_name"] == "Camille Martin"


async def test_a_client_may_authenticate_with_form_fields(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    made = await new_client(backoffice)
    form = {
        "grant_type": "client_credentials",
        "client_id": made.client_id,
        "client_secret": made.client_secret,
    }
    answer = await gateway.post("/v1/oauth/token", data=form)
    assert answer.status_code == 200, answer.text
    assert (await read_unknown_member(gateway, answer.json()["access_token"])).status_code == 404


async def test_a_token_narrowed_to_one_scope_is_refused_what_needs_another(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    made = await new_client(backoffice)
    answer = await gateway.post(
        "/v1/oauth/token",
        data={"grant_type": "client_credentials", "scope": "members:read"},
        headers=basic(made.client_id, made.client_secret),
    )
    assert answer.json()["scope"] == "members:read"
    token = answer.json()["access_token"]
    assert (await read_unknown_member(gateway, token)).status_code == 404
    refused = await gateway.post(
        "/v1/members",
        json=APPLICATION,
        headers={**bearer(token), "Idempotency-Key": str(uuid.uuid4())},
    )
    problem = assert_problem(refused, 403, "insufficient_scope")
    assert problem["required_scopes"] == ["members:write"]
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]


async def test_asking_for_a_scope_the_client_does_not_hold_is_invalid_scope(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    made = await new_client(backoffice, "smartfr", "members:read")
    answer = await gateway.post(
        "/v1/oauth/token",
        data={"grant_type": "client_credentials", "scope": "members:read payslips:read"},
        headers=basic(made.client_id, made.client_secret),
    )
    problem = assert_problem(answer, 400, "invalid_scope")
    assert problem["error"] == "invalid_scope"
    assert "payslips:read" in problem["error_description"]


@pytest.mark.parametrize(
    ("case", "status", "error"),
    [
        ("wrong-secret", 401, "invalid_client"),
        ("unknown-client", 401, "invalid_client"),
        ("another-clients-secret", 401, "invalid_client"),
        ("no-client-authentication", 401, "invalid_client"),
        ("malformed-basic", 401, "invalid_client"),
        ("no-grant-type", 400, "invalid_request"),
        ("password-grant", 400, "unsupported_grant_type"),
        ("basic-and-form", 400, "invalid_request"),
        ("json-body", 400, "invalid_request"),
        ("repeated-parameter", 400, "invalid_request"),
    ],
)
async def test_the_token_endpoint_refuses_per_rfc_6749_in_a_problem(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient, case: str, status: int, error: str
) -> None:
    made, other = await new_client(backoffice), await new_client(backoffice, "alterna")
    grant = "grant_type=client_credentials"
    auth = basic(made.client_id, made.client_secret)
    content: str = grant
    headers = {**FORM, **auth}
    match case:
        case "wrong-secret":
            headers = {**FORM, **basic(made.client_id, made.client_secret + "x")}
        case "unknown-client":
            headers = {**FORM, **basic("cli_0000000000000000", made.client_secret)}
        case "another-clients-secret":
            headers = {**FORM, **basic(made.client_id, other.client_secret)}
        case "no-client-authentication":
            headers = FORM
        case "malformed-basic":
            headers = {**FORM, "Authorization": "Basic !!!"}
        case "no-grant-type":
            content = "scope=members:read"
        case "password-grant":
            content = "grant_type=password&username=a&password=b"
        case "basic-and-form":
            content = f"{grant}&client_id={made.client_id}&client_secret={made.client_secret}"
        case "json-body":
            content = '{"grant_type": "client_credentials"}'
            headers = {**auth, "Content-Type": "application/json"}
        case "repeated-parameter":
            content = f"{grant}&{grant}"
    answer = await gateway.post("/v1/oauth/token", content=content, headers=headers)
    problem = assert_problem(answer, status, error)
    assert problem["error"] == error
    assert problem["error_description"]
    assert answer.headers["cache-control"] == "no-store"
    if status == 401:
        assert answer.headers["www-authenticate"].startswith(("Basic", "Bearer"))
    if case == "wrong-secret":
        assert answer.headers["www-authenticate"].startswith("Basic")


async def test_bad_bearer_credentials_are_refused_with_a_problem_and_a_challenge(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    tokens = authenticator_of(backoffice.gateway.app).tokens
    made = await new_client(backoffice)
    expired = tokens.issue(
        client_id=made.client_id,
        tenant="smartfr",
        scopes=frozenset({"members:read"}),
        now=time.time() - 3600,
    ).access_token
    cases = {
        "": "unauthenticated",
        "Basic " + base64.b64encode(f"{made.client_id}:{made.client_secret}".encode()).decode(): (
            "unauthenticated"
        ),
        "Bearer ": "unauthenticated",
        "Bearer not-a-token": "invalid_token",
        f"Bearer {expired}": "token_expired",
        "Bearer coop_test_" + "A" * 43: "invalid_credential",
        f"Bearer {made.api_key}x": "invalid_credential",
    }
    for authorization, code in cases.items():
        headers = {"Authorization": authorization} if authorization else {}
        answer = await gateway.get(f"/v1/members/{uuid.uuid4()}", headers=headers)
        assert_problem(answer, 401, code)
        assert answer.headers["www-authenticate"].startswith('Bearer realm="smartfr"')
        if code != "unauthenticated":
            assert 'error="invalid_token"' in answer.headers["www-authenticate"]


async def test_a_token_of_a_client_pinned_to_a_tenant_gives_that_tenant_only(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    owner, stranger = await new_client(backoffice), await new_client(backoffice, "alterna")
    created = await gateway.post(
        "/v1/members",
        json=APPLICATION,
        headers={**bearer(await token_for(gateway, owner)), "Idempotency-Key": str(uuid.uuid4())},
    )
    member_id = created.json()["id"]
    owner_token, stranger_token = await token_for(gateway, owner), await token_for(gateway, stranger)
    await eventually(lambda: gateway.get(f"/v1/members/{member_id}", headers=bearer(owner_token)), 200)
    answer = await gateway.get(f"/v1/members/{member_id}", headers=bearer(stranger_token))
    assert_problem(answer, 404, "member_not_found")


async def test_a_revoked_client_is_refused_with_its_tokens_and_its_keys(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    made = await new_client(backoffice)
    token = await token_for(gateway, made)
    assert (await read_unknown_member(gateway, token)).status_code == 404
    assert (await read_unknown_member(gateway, made.api_key)).status_code == 404
    async with backoffice.gateway.pool.acquire() as conn:
        assert await revoke_client(conn, made.client_id)
    # Within the credential cache time, every process notices.
    assert_problem(
        await eventually(lambda: read_unknown_member(gateway, token), 401), 401, "invalid_credential"
    )
    await eventually(lambda: read_unknown_member(gateway, made.api_key), 401)
    answer = await gateway.post(
        "/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic(made.client_id, made.client_secret),
    )
    assert_problem(answer, 401, "invalid_client")


async def test_after_a_key_rotation_both_keys_work_until_the_overlap_ends(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    made = await new_client(backoffice)
    async with backoffice.gateway.pool.acquire() as conn:
        rotated = await rotate_key(conn, made.client_id)
    assert rotated.credential.startswith("coop_test_")
    assert rotated.previous_valid_until > datetime.now(UTC) + timedelta(hours=23)
    assert (await read_unknown_member(gateway, made.api_key)).status_code == 404
    assert (await read_unknown_member(gateway, rotated.credential)).status_code == 404

    # A second rotation as if made 25 hours ago: the keys before it expired an hour ago.
    async with backoffice.gateway.pool.acquire() as conn:
        newest = await rotate_key(conn, made.client_id, now=datetime.now(UTC) - timedelta(hours=25))
    await eventually(lambda: read_unknown_member(gateway, made.api_key), 401)
    await eventually(lambda: read_unknown_member(gateway, rotated.credential), 401)
    assert (await read_unknown_member(gateway, newest.credential)).status_code == 404


async def test_a_revoked_key_is_refused_and_the_clients_other_credentials_still_work(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    made = await new_client(backoffice)
    async with backoffice.gateway.pool.acquire() as conn:
        rotated = await rotate_key(conn, made.client_id)
        assert await revoke_key(conn, made.key_id)
        assert not await revoke_key(conn, made.key_id)
    await eventually(lambda: read_unknown_member(gateway, made.api_key), 401)
    assert (await read_unknown_member(gateway, rotated.credential)).status_code == 404
    assert (await read_unknown_member(gateway, await token_for(gateway, made))).status_code == 404


async def test_a_rotated_secret_gives_tokens_and_the_old_one_until_the_overlap_ends(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    made = await new_client(backoffice)
    async with backoffice.gateway.pool.acquire() as conn:
        rotated = await rotate_secret(conn, made.client_id)
    old = NewClient(made.client_id, made.api_key, made.client_secret)
    new = NewClient(made.client_id, made.api_key, rotated.credential)
    await token_for(gateway, old)
    await token_for(gateway, new)
    async with backoffice.gateway.pool.acquire() as conn:
        newest = await rotate_secret(conn, made.client_id, overlap=timedelta(0))
    for stale in (old, new):
        answer = await gateway.post(
            "/v1/oauth/token",
            data={"grant_type": "client_credentials"},
            headers=basic(stale.client_id, stale.client_secret),
        )
        assert_problem(answer, 401, "invalid_client")
    await token_for(gateway, NewClient(made.client_id, made.api_key, newest.credential))


async def test_a_scope_taken_from_the_client_is_gone_from_its_live_tokens(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    made = await new_client(backoffice)
    token = await token_for(gateway, made)
    async with backoffice.gateway.pool.acquire() as conn:
        await conn.execute(
            "UPDATE api_clients SET scopes = '{members:write}' WHERE client_id = $1", made.client_id
        )
    await eventually(lambda: read_unknown_member(gateway, token), 403)


async def test_the_middleware_leaves_the_client_in_the_request_state_and_refuses_nothing(
    backoffice: EmbeddedBackoffice,
) -> None:
    made = await new_client(backoffice)
    seen: list[dict[str, Any]] = []

    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(dict(scope["state"]))

    middleware = CallerMiddleware(inner)  # type: ignore[arg-type]
    for authorization in (f"Bearer {made.api_key}", "Bearer nonsense", None):
        headers = [(b"authorization", authorization.encode())] if authorization else []
        scope = {
            "type": "http",
            "path": "/v1/members",
            "headers": headers,
            "app": backoffice.gateway.app,
            "state": {},
        }
        await middleware(scope, None, None)  # type: ignore[arg-type]
    with_key, with_nonsense, without = seen
    assert with_key["api_client"] == ApiClient(
        made.client_id, "smartfr", frozenset({"members:read", "members:write"}), API_VERSION
    )
    assert with_nonsense["api_client"] is None
    assert with_nonsense["auth_failure"].code == "invalid_token"
    assert without["api_client"] is None


async def test_lookups_are_cached_so_a_revocation_takes_the_cache_time_to_reach_a_process(
    backoffice: EmbeddedBackoffice,
) -> None:
    made = await new_client(backoffice)
    pool = backoffice.gateway.pool
    tokens = authenticator_of(backoffice.gateway.app).tokens
    authenticator = Authenticator(pool, tokens, cache_seconds=3600)
    token = tokens.issue(client_id=made.client_id, tenant="smartfr", scopes=frozenset({"members:read"}))
    for credential in (made.api_key, token.access_token):
        assert isinstance(await authenticator.resolve(f"Bearer {credential}"), ApiClient)
    async with pool.acquire() as conn:
        await revoke_client(conn, made.client_id)
    for credential in (made.api_key, token.access_token):
        assert isinstance(await authenticator.resolve(f"Bearer {credential}"), ApiClient)
    authenticator.forget()
    for credential in (made.api_key, token.access_token):
        assert not isinstance(await authenticator.resolve(f"Bearer {credential}"), ApiClient)


async def test_the_token_keys_are_published_as_a_jwks(
    backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient
) -> None:
    made = await new_client(backoffice)
    token = await token_for(gateway, made)
    jwks = (await gateway.get("/v1/oauth/jwks.json")).json()
    key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(token)["kid"]]
    settings: Any = backoffice.gateway.settings
    claims = jwt.decode(
        token, key.key, algorithms=["ES256"], audience=settings.token_audience, issuer=settings.token_issuer
    )
    assert claims["sub"] == made.client_id


async def test_an_anonymous_v1_request_is_refused_before_its_body_is_read(
    backoffice: EmbeddedBackoffice,
) -> None:
    transport = httpx.ASGITransport(app=backoffice.gateway.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as gateway:
        malformed = await gateway.post(
            "/v1/members", content=b'{"person_kind": ', headers={"Content-Type": "application/json"}
        )
        nowhere = await gateway.get("/v1/no-such-resource")
    for answer in (malformed, nowhere):
        assert answer.status_code == 401, answer.text
        assert answer.json()["code"] == "unauthenticated"
        assert answer.headers["www-authenticate"].startswith("Bearer")
