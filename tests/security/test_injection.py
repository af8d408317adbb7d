"""API8 injection: hostile strings in every text field of every JSON body, and in every free-text query.

Each string the OpenAPI document's example body holds (and each optional top-level text field it leaves out)
is replaced, one at a time, by each hostile string: quotes, a SQL terminator, a NUL byte, a lone surrogate,
a very long string, a right-to-left override, emoji, a decimal with a huge exponent, format directives. The
gateway must answer 2xx or a 4xx problem+json, never a 500; what a 2xx echoes back is the string sent, byte
for byte; and the data already there is intact afterwards (the same tables, a canary member unchanged).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.auth.scopes import SCOPES
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

# Grouped where one field refuses or accepts them alike, so that each text field costs six requests.
HOSTILE = {
    "quotes and sql": "O'Brien \"the\" `tick` \\ x'); DROP TABLE member_register; -- ' OR '1'='1",
    "nul byte": "Robert\x00Tables",
    "lone surrogate": "\ud800",
    "very long": "é" * 100_000,
    "rtl override, emoji, format directives": "\u202eFDP.exe\u202c 🧑\u200d🌾 %s%n{0}${jndi:ldap://x/a}{{7*7}}",
    "huge exponent": "1E+999999999",
}


def _is_text(schema: dict[str, Any]) -> bool:
    alternatives = schema.get("anyOf", [schema])
    return any(a.get("type") == "string" and "format" not in a and "enum" not in a for a in alternatives)


def _text_queries() -> list[tuple[Operation, str]]:
    return [
        (o, p["name"])
        for o in OPERATIONS
        if o.method == "GET"
        for p in o.spec.get("parameters", [])
        if p["in"] == "query" and p["name"] != "cursor" and _is_text(p["schema"])
    ]


def _leaves(value: Any, where: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The paths to every string in a JSON value."""
    if isinstance(value, str):
        yield where
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*where, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*where, index))


def _replaced(value: Any, where: tuple[Any, ...], new: str) -> Any:
    if not where:
        return new
    head, rest = where[0], where[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value.get(head), rest, new)}
    copy = list(value)
    copy[head] = _replaced(copy[head], rest, new)
    return copy


def _at(value: Any, where: tuple[Any, ...]) -> Any:
    for part in where:
        in_dict = isinstance(value, dict) and part in value
        if in_dict or (isinstance(value, list) and isinstance(part, int) and part < len(value)):
            value = value[part]
        else:
            return None
    return value


def text_fields(document: dict[str, Any], operation: Operation) -> tuple[Any, list[tuple[Any, ...]]]:
    """The example body, with the optional top-level text fields it leaves out added, and its text leaves."""
    body = example_body(document, operation)
    schema = _resolve(document, operation.spec["requestBody"]["content"]["application/json"]["schema"])
    if isinstance(body, dict):
        for name, field in schema.get("properties", {}).items():
            if name not in body and _is_text(field) and "pattern" not in field:
                body = {**body, name: "a plain value"}
    return body, list(_leaves(body))


# Every operation with a JSON body that holds text (`POST /v1/quotes/{id}/answer` takes a boolean only).
BODY_OPERATIONS = [
    o
    for o in OPERATIONS
    if (o.method, o.path) not in EXCLUDED
    and "application/json" in o.spec.get("requestBody", {}).get("content", {})
    and text_fields(DOCUMENT, o)[1]
]


async def _send(world: World, operation: Operation, path: str, key: str, body: Any) -> Any:
    # ensure_ascii keeps a lone surrogate as its \ud800 escape: valid JSON text a client may well send.
    return await world.gateway.request(
        operation.method,
        path,
        content=json.dumps(body, ensure_ascii=True).encode(),
        headers={
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
        },
    )


def _problem_or_success(answer: Any, what: str) -> None:
    assert answer.status_code < 500, f"{what}: {answer.status_code} {answer.text[:500]}"
    if answer.status_code >= 400:
        assert answer.headers["content-type"].startswith("application/problem+json"), what


async def _tables(world: World) -> set[tuple[str, str]]:
    async with world.backoffice.gateway.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', "
            "'information_schema')"
        )
    return {(row["schemaname"], row["tablename"]) for row in rows}


async def _canary(world: World, key: str) -> dict[str, Any]:
    created = await world.gateway.post(
        "/v1/members",
        json={"person_kind": "natural_person", "display_name": "Canary D'Ardèche", "category": 1},
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid.uuid4())},
    )
    assert created.status_code == 201, created.text
    path = f"/v1/members/{created.json()['id']}"
    await world.visible_to_owner(path)
    answer = await world.gateway.get(path, headers={"Authorization": f"Bearer {key}"})
    read: dict[str, Any] = answer.json()
    return read


@pytest.mark.parametrize("operation", BODY_OPERATIONS, ids=[o.id for o in BODY_OPERATIONS])
async def test_hostile_strings_in_every_text_field_get_an_answer_never_a_500(
    world: World, operation: Operation
) -> None:
    key = await world.key(TENANT_A, frozenset(SCOPES))
    tables = await _tables(world)
    canary = await _canary(world, key)
    path = await filled(world, operation)
    body, leaves = text_fields(world.document, operation)
    for where in leaves:
        for name, hostile in HOSTILE.items():
            what = f"{operation.id} with {name} in {'.'.join(map(str, where))}"
            answer = await _send(world, operation, path, key, _replaced(body, where, hostile))
            _problem_or_success(answer, what)
            if answer.status_code < 300 and answer.content and where[-1] != "url":
                echoed = _at(answer.json(), where)
                assert echoed in (None, hostile) or not isinstance(echoed, str), f"{what}: echoed {echoed!r}"
    # The data already there is intact.
    assert await _tables(world) == tables
    again = await world.gateway.get(f"/v1/members/{canary['id']}", headers={"Authorization": f"Bearer {key}"})
    assert again.status_code == 200
    assert {k: again.json()[k] for k in ("display_name", "status", "category")} == {
        k: canary[k] for k in ("display_name", "status", "category")
    }


@pytest.mark.parametrize(
    ("operation", "parameter"), _text_queries(), ids=[f"{o.id} ?{p}" for o, p in _text_queries()]
)
async def test_hostile_strings_in_a_free_text_query_get_an_answer_never_a_500(
    world: World, operation: Operation, parameter: str
) -> None:
    key = await world.key(TENANT_A, frozenset(SCOPES))
    path = await filled(world, operation)
    for name, hostile in HOSTILE.items():
        if name == "lone surrogate":
            continue  # a query string is percent-encoded UTF-8: a lone surrogate cannot be sent in one
        if name == "very long":
            hostile = hostile[:10_000]  # an URL is bounded before the gateway (httpx refuses 64 KiB)
        answer = await world.gateway.get(
            path, params={parameter: hostile}, headers={"Authorization": f"Bearer {key}"}
        )
        _problem_or_success(answer, f"{operation.id} ?{parameter}= {name}")
        if answer.status_code == 200:
            assert answer.json()["data"] == [], f"{operation.id} ?{parameter}= {name} matched: {answer.text}"
