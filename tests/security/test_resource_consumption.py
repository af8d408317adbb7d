"""API4 unrestricted resource consumption: bodies, pages, batches (and rate limits, tested in the gateway).

Found from the OpenAPI document, so a new operation is held to the same bounds: a body over 1 MiB is a 413
before any handler runs (declared or streamed without a length); every list pages at most 100 items and says
so, and `limit` outside 1..100 is a 400 naming it; every array a body may hold has a `maxItems`, and one item
more is a 400 naming the array. Rate limits per client and per anonymous address:
gateway/tests/integration/test_rate_limit.py and gateway/tests/unit/test_rate_limit_gcra.py.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.auth.scopes import SCOPES
from services.http import DEFAULT_MAX_BODY_BYTES
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

BODY_OPERATIONS = [o for o in OPERATIONS if (o.method, o.path) not in EXCLUDED and o.spec.get("requestBody")]
BODY_OPERATIONS = [o for o in BODY_OPERATIONS if "application/json" in o.spec["requestBody"]["content"]]
LISTS = [
    o
    for o in OPERATIONS
    if o.method == "GET" and any(p["name"] == "limit" for p in o.spec.get("parameters", []))
]


def _most(operation: Operation) -> int:
    limit = next(p for p in operation.spec["parameters"] if p["name"] == "limit")
    most: int = limit["schema"]["maximum"]
    return most


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid.uuid4())}


async def test_a_body_over_a_mebibyte_is_413_before_any_handler_declared_or_streamed(world: World) -> None:
    key = await world.key(TENANT_A, frozenset(SCOPES))
    too_big = b'{"display_name": "' + b"x" * DEFAULT_MAX_BODY_BYTES + b'"}'

    async def streamed() -> AsyncIterator[bytes]:
        for start in range(0, len(too_big), 64 * 1024):
            yield too_big[start : start + 64 * 1024]

    for operation in BODY_OPERATIONS:
        path = await filled(world, operation)
        for how, content in (("declared", too_big), ("streamed", streamed())):
            answer = await world.gateway.request(
                operation.method,
                path,
                content=content,
                headers={**_auth(key), "Content-Type": "application/json"},
            )
            assert answer.status_code == 413, (
                f"{operation.id} {how}: {answer.status_code} {answer.text[:300]}"
            )
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert answer.json()["code"] == "body_too_large"


def test_every_limit_is_bounded_and_a_page_holds_at_most_100_items() -> None:
    assert LISTS
    for operation in LISTS:
        limit = next(p for p in operation.spec["parameters"] if p["name"] == "limit")
        assert "maximum" in limit["schema"], f"{operation.id}: an unbounded limit"
        assert limit["schema"].get("minimum") == 1, operation.id
        if "cursor" in {p["name"] for p in operation.spec["parameters"]}:
            assert _most(operation) <= 100, f"{operation.id}: pages of more than 100 items"


@pytest.mark.parametrize("operation", LISTS, ids=[o.id for o in LISTS])
async def test_a_limit_outside_its_bounds_is_a_400_naming_it(world: World, operation: Operation) -> None:
    key = await world.key(TENANT_A, frozenset(SCOPES))
    path = await filled(world, operation)
    for limit in ("0", str(_most(operation) + 1), "1000000", "-1", "1e3"):
        answer = await world.gateway.get(path, params={"limit": limit}, headers=_auth(key))
        assert answer.status_code == 400, f"{operation.id} ?limit={limit}: {answer.text}"
        assert answer.json()["param"] == "query.limit"
    answer = await world.gateway.get(path, params={"limit": str(_most(operation))}, headers=_auth(key))
    assert answer.status_code == 200, answer.text


def _arrays(schema: dict[str, Any], where: tuple[str, ...], seen: frozenset[str]) -> list[tuple[Any, ...]]:
    """(path, maxItems) of every array a body schema reaches."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        return _arrays(_resolve(DOCUMENT, schema), where, seen | {name})
    found: list[tuple[Any, ...]] = []
    for alternative in (*schema.get("anyOf", ()), *schema.get("oneOf", ()), *schema.get("allOf", ())):
        found += _arrays(alternative, where, seen)
    if schema.get("type") == "array":
        found.append((where, schema.get("maxItems")))
        found += _arrays(schema.get("items", {}), (*where, "0"), seen)
    for name, child in schema.get("properties", {}).items():
        found += _arrays(child, (*where, name), seen)
    return found


def _body_arrays(operation: Operation) -> list[tuple[Any, ...]]:
    return _arrays(operation.spec["requestBody"]["content"]["application/json"]["schema"], (), frozenset())


def test_every_array_a_body_may_hold_is_bounded() -> None:
    unbounded = [
        f"{o.id}: {'.'.join(w)}" for o in BODY_OPERATIONS for w, most in _body_arrays(o) if most is None
    ]
    assert unbounded == []


BATCHES = [(o, w, most) for o in BODY_OPERATIONS for w, most in _body_arrays(o)]


def _at(value: Any, where: tuple[str, ...]) -> Any:
    for part in where:
        value = (
            value[int(part)]
            if isinstance(value, list)
            else value.get(part)
            if isinstance(value, dict)
            else None
        )
    return value


def _set(value: Any, where: tuple[str, ...], new: Any) -> Any:
    if not where:
        return new
    head, rest = where[0], where[1:]
    if isinstance(value, list):
        copy = list(value)
        copy[int(head)] = _set(copy[int(head)], rest, new)
        return copy
    return {**value, head: _set(value[head], rest, new)}


@pytest.mark.parametrize(
    ("operation", "where", "most"), BATCHES, ids=[f"{o.id} {'.'.join(w)}" for o, w, _ in BATCHES]
)
async def test_one_item_over_a_batch_bound_is_a_400_naming_the_array(
    world: World, operation: Operation, where: tuple[str, ...], most: int
) -> None:
    body = example_body(world.document, operation)
    items = _at(body, where)
    if not items:
        pytest.skip(f"the example body of {operation.id} has no {'.'.join(where)} to repeat")
    key = await world.key(TENANT_A, frozenset(SCOPES))
    path = await filled(world, operation)
    oversized = _set(body, where, [items[0]] * (most + 1))
    answer = await world.gateway.request(
        operation.method,
        path,
        content=json.dumps(oversized).encode(),
        headers={**_auth(key), "Content-Type": "application/json"},
    )
    assert answer.status_code == 400, f"{operation.id} with {most + 1} {where}: {answer.text[:300]}"
    params = {error["param"] for error in answer.json()["errors"]}
    assert f"body.{'.'.join(where)}" in params, params
