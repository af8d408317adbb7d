"""API3 broken object property level authorization: what a response or a webhook shows, what a body may set.

Personal data (NIR, IBAN, birth date, address, e-mail, phone) is read only through
`GET /v1/members/{id}/personal_data` with its own scope (tests/e2e/test_personal_data.py): no list of the
OpenAPI document and no single resource outside that route shows it, and no webhook payload carries it (they
are thin: type, object, id). Every body model forbids fields outside its schema, which the document says
(`additionalProperties: false` on every object a body reaches) and the gateway does: an unknown field, at the
top or nested, is a 400 naming it, and nothing reaches a service.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest

from gateway.auth.scopes import SCOPES
from gateway.outbound.catalogue import CATALOGUE
from tests.e2e.test_tenant_matrix import (
    DOCUMENT,
    EXCLUDED,
    OPERATIONS,
    TENANT_A,
    Operation,
    World,
    _resolve,
    example_body,
)
from tests.security.conftest import filled
from tests.security.scan import where_found

PERSONAL = {
    "e-mail": "ines.exposure@example.org",
    "NIR": "269052A00417163",
    "IBAN": "FR7630006000000001123456786",
    "IBAN as written": "FR76 3000 6000 0000 0112 3456 786",
    "birth date": "1969-05-14",
    "phone": "612345678",
    "street": "12 rue des Lilas",
}
RECORD = {
    "family_name": "Exposure",
    "given_names": "Inès",
    "birth_date": PERSONAL["birth date"],
    "birth_place": "Ajaccio",
    "nir": PERSONAL["NIR"],
    "iban": PERSONAL["IBAN as written"],
    "email": PERSONAL["e-mail"],
    "phone": "+33 6 12 34 56 78",
    "address": {"lines": [PERSONAL["street"]], "postal_code": "20000", "city": "Ajaccio"},
}
# Where the person's own data is the answer, behind the members:personal_data:read scope.
PERSONAL_DATA_ROUTES = {"/v1/members/{member_id}/personal_data"}

BODY_OPERATIONS = [
    o
    for o in OPERATIONS
    if (o.method, o.path) not in EXCLUDED
    and "application/json" in o.spec.get("requestBody", {}).get("content", {})
]


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid.uuid4())}


async def _person_with_personal_data(world: World, key: str) -> str:
    created = await world.gateway.post(
        "/v1/members",
        json={
            "person_kind": "natural_person",
            "display_name": "I. Exposure",
            "category": 1,
            "email": PERSONAL["e-mail"],
        },
        headers=_auth(key),
    )
    assert created.status_code == 201, created.text
    member_id: str = created.json()["id"]
    await world.visible_to_owner(f"/v1/members/{member_id}")
    recorded = await world.gateway.put(
        f"/v1/members/{member_id}/personal_data", json=RECORD, headers=_auth(key)
    )
    assert recorded.status_code in (200, 201, 204), recorded.text
    return member_id


async def test_no_response_but_the_personal_data_route_and_no_webhook_shows_personal_data(
    world: World,
) -> None:
    key = await world.key(TENANT_A, frozenset(SCOPES))
    # Given an endpoint subscribed to every event type, and a member with every kind of personal data.
    endpoint = await world.gateway.post(
        "/v1/webhook_endpoints",
        json={"url": "http://127.0.0.1:9/exposure", "event_types": sorted(CATALOGUE)},
        headers=_auth(key),
    )
    assert endpoint.status_code == 201, endpoint.text
    member_id = await _person_with_personal_data(world, key)
    # Single resources are read on this member (restored after: the other tests share the world).
    earlier, world.objects["member_id"] = world.objects["member_id"], member_id
    shown = await world.gateway.get(f"/v1/members/{member_id}/personal_data", headers=_auth(key))
    assert shown.status_code == 200, shown.text
    assert PERSONAL["NIR"] in shown.text  # the data is there to be leaked

    # When every GET of the document is called (lists as they come, single resources on this member).
    leaks = []
    try:
        for operation in OPERATIONS:
            if operation.method != "GET" or operation.path in PERSONAL_DATA_ROUTES:
                continue
            if (operation.method, operation.path) in EXCLUDED:
                continue
            path = await filled(world, operation)
            limit = {"limit": 100} if "limit" in _query(operation) else None
            answer = await world.gateway.get(path, params=limit, headers=_auth(key))
            assert answer.status_code < 500, f"{operation.id}: {answer.text}"
            leaks += [f"{operation.id}: {what}" for what, value in PERSONAL.items() if value in answer.text]
    finally:
        world.objects["member_id"] = earlier
    # Then none shows it.
    assert leaks == []

    # And the webhook messages made of this member's events carry none of it.
    deadline = time.monotonic() + 30
    pool = world.backoffice.gateway.pool
    while not await pool.fetchval(
        "SELECT count(*) FROM webhook_messages WHERE payload::text LIKE '%' || $1 || '%'", member_id
    ):
        assert time.monotonic() < deadline, "no webhook message was made of the member's application"
        await asyncio.sleep(0.1)
    payloads = await pool.fetch("SELECT payload FROM webhook_messages")
    assert payloads
    assert await where_found(world, PERSONAL, only="webhook_messages") == []


def _query(operation: Operation) -> set[str]:
    return {p["name"] for p in operation.spec.get("parameters", []) if p["in"] == "query"}


def _objects_reached(schema: dict[str, Any], seen: set[str]) -> list[tuple[str, dict[str, Any]]]:
    """Every object schema a request body reaches, by name."""
    found = []
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        resolved = _resolve(DOCUMENT, schema)
        if resolved.get("type") == "object" or "properties" in resolved:
            found.append((name, resolved))
        schema = resolved
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for alternative in schema.get(key, []):
            found += _objects_reached(alternative, seen)
    for child in (*schema.get("properties", {}).values(), schema.get("items")):
        if isinstance(child, dict):
            found += _objects_reached(child, seen)
    return found


@pytest.mark.parametrize("operation", BODY_OPERATIONS, ids=[o.id for o in BODY_OPERATIONS])
def test_every_object_a_body_reaches_forbids_fields_outside_its_schema(operation: Operation) -> None:
    schema = operation.spec["requestBody"]["content"]["application/json"]["schema"]
    reached = _objects_reached(schema, set())
    assert reached, f"{operation.id}: its body is no object of the document"
    open_ = [name for name, object_ in reached if object_.get("additionalProperties") is not False]
    assert open_ == [], f"{operation.id} accepts fields outside the schema of {open_}"


def _nested_dicts(value: Any, where: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [where] if isinstance(value, dict) else []
    children = (
        value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    )
    for key, item in children:
        found += _nested_dicts(item, (*where, key))
    return found


def _with_field(value: Any, where: tuple[Any, ...], name: str) -> Any:
    if not where:
        return {**value, name: True}
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[where[0]] = _with_field(value[where[0]], where[1:], name)
    return copy


@pytest.mark.parametrize("operation", BODY_OPERATIONS, ids=[o.id for o in BODY_OPERATIONS])
async def test_an_unknown_field_anywhere_in_a_body_is_a_400_naming_it_and_nothing_is_appended(
    world: World, operation: Operation
) -> None:
    key = await world.key(TENANT_A, frozenset(SCOPES))
    path = await filled(world, operation)
    body = example_body(world.document, operation)
    marker = f"extra-{uuid.uuid4().hex}"
    for where in _nested_dicts(body):
        # The tenant is the credential's, never the body's: the classic mass-assignment attempt.
        for name in ("tenant", "is_admin", marker):
            answer = await world.gateway.request(
                operation.method, path, json=_with_field(body, where, name), headers=_auth(key)
            )
            what = f"{operation.id} with {name!r} at {where}"
            assert answer.status_code == 400, f"{what}: {answer.status_code} {answer.text}"
            assert answer.headers["content-type"].startswith("application/problem+json"), what
            params = {error["param"] for error in answer.json()["errors"]}
            # A union body names the field under each alternative: body.ReplayMessage.tenant.
            named = ".".join(map(str, (*where, name)))
            assert any(p == f"body.{named}" or p.endswith(f".{named}") for p in params), f"{what}: {params}"
    assert await where_found(world, {"marker": marker}, only="events") == []
    assert await where_found(world, {"marker": marker}, only="outbox") == []


def test_every_object_of_the_document_is_checked() -> None:
    # A new body operation is covered by the two tests above by itself; this checks none escapes them.
    bodies = {o.id for o in OPERATIONS if o.spec.get("requestBody")}
    excluded = {f"{m} {p}" for m, p in EXCLUDED} | {"POST /v1/oauth/token"}
    assert bodies - excluded == {o.id for o in BODY_OPERATIONS}
