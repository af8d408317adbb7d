"""Tenant isolation and access, for every operation of the gateway's OpenAPI document.

For each operation (method + path): objects are created as tenant A (through the collection's POST, with the
document's example body) and the path filled from them; tenant B, with every scope, then gets 404 or 403 on
them, never A's data; no credential and every kind of bad token get 401 problem+json; a credential without the
operation's scope gets 403. A new operation is picked up by itself; one the matrix cannot fill fails, unless
it is excluded below with a reason. Row-level security is checked under the application's filter too.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from backoffice.catalogue import GATEWAY_SETTINGS
from backoffice.embedded import EmbeddedBackoffice
from gateway.auth.api_keys import create_client
from gateway.auth.middleware import authenticator_of
from gateway.auth.scopes import SCOPES
from gateway.auth.tokens import AccessTokens
from gateway.entrypoints.definition import definition as gateway_definition
from services.runtime import ServiceRuntime
from services.tenancy import APP_ROLE, tables_without_tenant_policy, tenant_transaction
from tests.e2e.deployments import fresh_database

API_VERSION = "2026-11-26"
TENANT_A, TENANT_B = "coop-portage", "grandsensemble"
METHODS = ("get", "post", "put", "patch", "delete")
PARAM = re.compile(r"\{([^}]+)\}")

ACTIVITY_ACCOUNTS = (
    "an activity is known to billing by its invoices' payments, no POST creates one: tests/e2e/"
    "test_production_de_projets.py checks another tenant's 404, no credential's 401 and no scope's 403"
)
# Operations the matrix does not call, and why. Anything else it cannot fill fails the test.
EXCLUDED = {
    ("POST", "/v1/oauth/token"): "authenticates the client itself (client credentials): tests/integration/"
    "test_auth.py in the gateway covers its errors",
    ("POST", "/v1/webhooks/inbound/{kind}"): "a push needs a Standard Webhooks signature with the source's "
    "secret besides the Bearer credential: the gateway's inbound webhook tests cover it (ADR 005)",
    ("POST", "/v1/webhooks/hires"): "a signed push like the one above: tests/e2e/test_hires.py covers it",
    ("GET", "/v1/hires/{hire_id}"): "a hire id comes from a signed push (no POST the matrix can call): "
    "tests/e2e/test_hires.py reads hires",
    ("GET", "/v1/payslips/{payslip_id}"): "a payslip is issued by payroll-svc from contracts' completion "
    "event (no POST creates one, and work is reported only once done): tests/e2e/test_payroll_payslips.py",
    ("GET", "/v1/payslips/{payslip_id}.pdf"): "the same payslip as a PDF: tests/e2e/test_payroll_payslips.py",
    ("GET", "/v1/dsn/{siret}/{month}"): "an establishment's SIRET and a month, not objects a POST creates: "
    "tests/e2e/test_dsn.py (a bad SIRET 400, no personal data scope 403; a tenant's DSN holds only its pay)",
    ("GET", "/v1/client_credits/{buyer_siren}/movements"): "a client's SIREN, not an object a POST creates: "
    "tests/e2e/test_receivables.py (another tenant's statement of the same SIREN is empty)",
    ("POST", "/v1/employer_structures/{employer_structure_id}/contacts/{contact_id}/erasure"): "a contact id "
    "comes in the structure's answer (contacts[].id), no POST of its own: tests/e2e/"
    "test_employer_contacts_erasure.py checks another tenant gets 404 and a bad credential 401",
    (
        "GET",
        "/v1/gdc/direct-debits/{direct_debit_id}.xml",
    ): "a direct debit id comes in the GDC monthly run's "
    "answer (invoices[].direct_debit_id), no POST of its own: tests/e2e/test_gdc_monthly_invoice.py checks "
    "another tenant gets 404 and no credential 401",
    (
        "POST",
        "/v1/employers/{employer_structure_id}/sepa-mandates/{mandate_id}/revocation",
    ): "a mandate id comes in the answer of the structure's POST .../sepa-mandates (a collection nested "
    "under a structure billing learns of from the bus), which the matrix cannot fill: tests/e2e/"
    "test_gdc_monthly_invoice.py checks another tenant gets 404, no credential 401 and no scope 403",
    ("GET", "/v1/activities/{activity_id}/account"): ACTIVITY_ACCOUNTS,
    ("GET", "/v1/activities/{activity_id}/account/entries"): ACTIVITY_ACCOUNTS,
    ("GET", "/v1/activities/{activity_id}/statement"): ACTIVITY_ACCOUNTS,
    ("POST", "/v1/activities/{activity_id}/expense-claims"): ACTIVITY_ACCOUNTS,
}

# Fields of an example body replaced when the matrix creates with it, and why.
BODY_OVERRIDES: dict[tuple[str, str], dict[str, Any]] = {
    # The example's host must resolve, and tests may have no DNS: a loopback receiver is allowed in tests.
    ("POST", "/v1/webhook_endpoints"): {"url": "http://127.0.0.1:9/matrix"},
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any] = field(compare=False, hash=False)

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def scopes(self) -> list[str]:
        for requirement in self.spec.get("security") or []:
            if "OAuth2" in requirement:
                return list(requirement["OAuth2"])
        return []


def operations_of(document: dict[str, Any]) -> list[Operation]:
    return [
        Operation(method.upper(), path, spec)
        for path, item in document["paths"].items()
        for method, spec in item.items()
        if method in METHODS
    ]


def _document() -> dict[str, Any]:
    # The same definition the embedded gateway runs; the first test checks the two documents agree.
    runtime = ServiceRuntime(gateway_definition(lambda name: httpx.AsyncClient()), GATEWAY_SETTINGS())
    return runtime.app.openapi()


DOCUMENT = _document()
OPERATIONS = operations_of(DOCUMENT)


# ---- the world: tenant A's objects, and the credentials --------------------------


class World:
    def __init__(self, backoffice: EmbeddedBackoffice, gateway: httpx.AsyncClient) -> None:
        self.backoffice = backoffice
        self.gateway = gateway
        self.document: dict[str, Any] = backoffice.gateway.app.openapi()
        self.keys: dict[tuple[str, frozenset[str]], str] = {}
        self.objects: dict[str, str] = {}  # path parameter -> an object of tenant A

    async def key(self, tenant: str, scopes: frozenset[str]) -> str:
        if (tenant, scopes) not in self.keys:
            async with self.backoffice.gateway.pool.acquire() as conn:
                made = await create_client(
                    conn, tenant=tenant, name="matrix", scopes=sorted(scopes), api_version=API_VERSION
                )
            self.keys[(tenant, scopes)] = made.api_key
        return self.keys[(tenant, scopes)]

    async def token(self, tenant: str) -> str:
        """An OAuth2 access token of tenant `tenant` with every scope, from the token endpoint."""
        async with self.backoffice.gateway.pool.acquire() as conn:
            made = await create_client(
                conn, tenant=tenant, name="matrix", scopes=sorted(SCOPES), api_version=API_VERSION
            )
        answer = await self.gateway.post(
            "/v1/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(made.client_id, made.client_secret),
        )
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        return token

    async def call(
        self, operation: Operation, path: str, credential: str | None, *, body: Any = None
    ) -> httpx.Response:
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        if credential is not None:
            headers["Authorization"] = f"Bearer {credential}"
        return await self.gateway.request(operation.method, path, json=body, headers=headers)

    async def fill(self, operation: Operation) -> str:
        """The path with each parameter naming an object of tenant A (created on first need)."""
        path = operation.path
        for name in PARAM.findall(path):
            if name not in self.objects:
                self.objects[name] = await self._create_for(operation.path, name)
            path = path.replace(f"{{{name}}}", self.objects[name])
        return path

    async def _create_for(self, path: str, name: str) -> str:
        creator = _creator(self.document, path, name)
        if creator is None:
            raise Unfillable(f"no POST creates the {{{name}}} of {path}")
        owner = await self.key(TENANT_A, frozenset(SCOPES))
        answer = await self.call(creator, creator.path, owner, body=example_body(self.document, creator))
        assert answer.status_code in (200, 201, 202), f"creating {{{name}}}: {answer.text}"
        made: str = str(answer.json()["id"])
        return made

    async def visible_to_owner(self, path: str) -> None:
        """Wait until tenant A reads the object at `path` (read models are eventually consistent)."""
        owner = await self.key(TENANT_A, frozenset(SCOPES))
        deadline = time.monotonic() + 20
        while True:
            answer = await self.gateway.get(path, headers={"Authorization": f"Bearer {owner}"})
            if answer.status_code == 200:
                return
            assert time.monotonic() < deadline, f"{path} never became readable by its owner: {answer.text}"
            await asyncio.sleep(0.05)


class Unfillable(Exception):
    pass


def _creator(document: dict[str, Any], path: str, name: str) -> Operation | None:
    """The `POST /collection` whose objects `/collection/{name}` names, or for a parameter named the same
    elsewhere, that one's (`/v1/employees/{member_id}` is filled by `POST /v1/members`)."""
    for candidate in (path, *document["paths"]):
        prefix, marker, _ = candidate.partition(f"/{{{name}}}")
        if marker and "post" in document["paths"].get(prefix, {}):
            return Operation("POST", prefix, document["paths"][prefix]["post"])
    return None


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def example_body(document: dict[str, Any], operation: Operation) -> Any:
    body = operation.spec.get("requestBody")
    if body is None:
        return None
    media = body.get("content", {}).get("application/json")
    if media is None:
        raise Unfillable(f"{operation.id} takes no JSON body")
    overrides = BODY_OVERRIDES.get((operation.method, operation.path), {})
    if "example" in media:
        return {**media["example"], **overrides}
    if media.get("examples"):
        return {**next(iter(media["examples"].values()))["value"], **overrides}
    example = _schema_example(document, media.get("schema", {}))
    if example is not None:
        return {**example, **overrides}
    if not body.get("required"):
        return overrides
    raise Unfillable(f"{operation.id}: the document gives no example body")


def _schema_example(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    """The schema's first example, or that of the first alternative (anyOf / oneOf) that has one."""
    schema = _resolve(document, schema)
    if schema.get("examples"):
        return schema["examples"][0]
    if "example" in schema:
        return schema["example"]
    for alternative in (*schema.get("anyOf", ()), *schema.get("oneOf", ())):
        example = _schema_example(document, alternative)
        if example is not None:
            return example
    return None


@pytest_asyncio.fixture(scope="module")
async def world(database_url: str) -> AsyncIterator[World]:
    async with fresh_database(database_url) as url:
        backoffice = EmbeddedBackoffice(
            url, poll_interval=0.2, rate_limit_quota=1_000_000, webhooks_allow_loopback=True
        )
        await backoffice.start()
        try:
            transport = httpx.ASGITransport(app=backoffice.gateway.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
                yield World(backoffice, client)
        finally:
            await backoffice.stop()


# ---- bad credentials ------------------------------------------------------------


def _b64(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")


def bad_credentials(tokens: AccessTokens) -> dict[str, str | None]:
    def issue(signer: AccessTokens, now: float | None = None) -> str:
        scopes = frozenset(SCOPES)
        return signer.issue(
            client_id="cli_0000000000000000", tenant=TENANT_B, scopes=scopes, now=now
        ).access_token

    good = issue(tokens)
    header, claims = jwt.get_unverified_header(good), jwt.decode(good, options={"verify_signature": False})
    other_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signing_key = tokens._private  # the gateway's own key: only the claims are wrong in the next two
    return {
        "no credential": None,
        "garbage": "not-a-token",
        "unknown API key": "coop_test_" + "A" * 43,
        "expired token": issue(tokens, now=time.time() - 3600),
        "wrong audience": jwt.encode(
            {**claims, "aud": "https://elsewhere.example"}, signing_key, "ES256", header
        ),
        "wrong issuer": jwt.encode(
            {**claims, "iss": "https://elsewhere.example"}, signing_key, "ES256", header
        ),
        "alg none": f"{_b64({**header, 'alg': 'none'})}.{_b64(claims)}.",
        "bad signature": jwt.encode(claims, other_key, "ES256", header),
    }


# ---- the tests ------------------------------------------------------------------


async def test_the_matrix_covers_every_operation_of_the_running_gateway(world: World) -> None:
    assert {o.id for o in operations_of(world.document)} == {o.id for o in OPERATIONS}
    stale = [f"{m} {p}" for m, p in EXCLUDED if f"{m} {p}" not in {o.id for o in OPERATIONS}]
    assert not stale, f"excluded operations that no longer exist: {stale}"


@pytest.mark.parametrize("operation", OPERATIONS, ids=[o.id for o in OPERATIONS])
async def test_another_tenant_never_gets_the_object_and_bad_credentials_get_401(
    world: World, operation: Operation
) -> None:
    reason = EXCLUDED.get((operation.method, operation.path))
    if reason:
        pytest.skip(reason)
    assert operation.spec.get("security"), f"{operation.id} declares no security: exclude it with a reason"
    try:
        path = await world.fill(operation)
        body = example_body(world.document, operation)
    except Unfillable as why:
        pytest.fail(f"the matrix cannot call {operation.id}: {why}. Teach it, or exclude it with a reason.")
    if PARAM.search(operation.path) and "get" in world.document["paths"][operation.path]:
        await world.visible_to_owner(path)

    # Given tenant A's objects, when tenant B (every scope; API key, then token) calls: 404 or 403 on them,
    # and never one of A's objects in a collection.
    for credential in (await world.key(TENANT_B, frozenset(SCOPES)), await world.token(TENANT_B)):
        answer = await world.call(operation, path, credential, body=body)
        if PARAM.search(operation.path):
            assert answer.status_code in (403, 404), f"{operation.id} as tenant B: {answer.text}"
            assert answer.headers["content-type"].startswith("application/problem+json")
        else:
            assert answer.status_code < 500, answer.text
            leaked = [object_id for object_id in world.objects.values() if object_id in answer.text]
            assert not leaked, f"{operation.id} showed tenant A's {leaked}: {answer.text}"

    # When the credential is missing or bad: 401 problem+json with a Bearer challenge.
    for what, bad in bad_credentials(authenticator_of(world.backoffice.gateway.app).tokens).items():
        answer = await world.call(operation, path, bad, body=body)
        assert answer.status_code == 401, f"{operation.id} with {what}: {answer.status_code} {answer.text}"
        assert answer.headers["content-type"].startswith("application/problem+json"), what
        assert answer.headers["www-authenticate"].startswith("Bearer"), what

    # When the credential lacks the operation's scope: 403 insufficient_scope.
    if operation.scopes:
        lacking = await world.key(TENANT_A, frozenset(SCOPES) - set(operation.scopes))
        answer = await world.call(operation, path, lacking, body=body)
        assert answer.status_code == 403, f"{operation.id} without {operation.scopes}: {answer.text}"
        assert answer.json()["code"] == "insufficient_scope"


async def test_every_tenant_table_of_the_services_is_under_row_level_security(world: World) -> None:
    for name, runtime in world.backoffice.services.items():
        async with runtime.pool.acquire() as conn:
            unguarded = await tables_without_tenant_policy(conn, runtime.settings.db_schema)
        assert unguarded == [], f"{name}: tenant tables without the row-level security policy: {unguarded}"


async def test_without_the_application_filter_row_level_security_still_hides_other_tenants_rows(
    world: World,
) -> None:
    # Given a member of tenant A, known to members-svc's register and to contracts-svc.
    owner = await world.key(TENANT_A, frozenset(SCOPES))
    created = await world.gateway.post(
        "/v1/members",
        json={"person_kind": "natural_person", "display_name": "Row Level", "category": 1},
        headers={"Authorization": f"Bearer {owner}", "Idempotency-Key": str(uuid.uuid4())},
    )
    member_id = uuid.UUID(created.json()["id"])
    await world.visible_to_owner(f"/v1/employees/{member_id}")
    await world.visible_to_owner(f"/v1/members/{member_id}")
    tables = {"members": "member_register", "contracts": "known_members"}
    for service, table in tables.items():
        pool = world.backoffice.services[service].pool
        # When a query forgets `WHERE tenant = ...`: tenant B's transaction still sees none of A's rows.
        unfiltered = f"SELECT member_id FROM {table}"
        async with tenant_transaction(pool, TENANT_B) as conn:
            seen_by_b = {row["member_id"] for row in await conn.fetch(unfiltered)}
        async with tenant_transaction(pool, TENANT_A) as conn:
            seen_by_a = {row["member_id"] for row in await conn.fetch(unfiltered)}
            tenants = {row["tenant"] for row in await conn.fetch(f"SELECT DISTINCT tenant FROM {table}")}
        assert member_id not in seen_by_b, f"{table}: row-level security let tenant B see A's member"
        assert member_id in seen_by_a
        assert tenants == {TENANT_A}
        # And the role without a tenant sees nothing: forgetting the tenant fails closed.
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(f"SET LOCAL ROLE {APP_ROLE}")
            assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0
            # It may read, not write: writes are the projections', as the tables' owner.
            with pytest.raises(Exception, match="permission denied"):
                await conn.execute(f"DELETE FROM {table}")
        # While the owner's connection (the projection's) still sees every tenant.
        assert await pool.fetchval(f"SELECT count(*) FROM {table} WHERE member_id = $1", member_id) == 1
