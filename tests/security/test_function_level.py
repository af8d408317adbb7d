"""API5 broken function level authorization: operator routes, the services' internal APIs, scopes.

The tenant matrix (tests/e2e/test_tenant_matrix.py) proves that each /v1 operation refuses a credential
without its scope (403 insufficient_scope). These cover what is outside /v1, found from the running apps'
routes so that a new one cannot escape: every /ops/api route needs the operator tenant *and* the `ops` scope,
and every internal route of every service refuses a caller without the gateway's internal token, even one
holding a valid public credential.
"""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute

from gateway.auth.scopes import SCOPES
from gateway.ops import routes as ops_routes
from services.http.ops import ops_router
from services.runtime import ServiceRuntime
from tests.e2e.test_tenant_matrix import OPERATIONS, TENANT_A, World

PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")


def _routes_of(router: APIRouter) -> list[tuple[str, str]]:
    return sorted(
        (method, route.path)
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods - {"HEAD", "OPTIONS"}
    )


def _internal_routes(runtime: ServiceRuntime) -> list[tuple[str, str]]:
    """What a service serves to the gateway: its documented internal API and its ops router (undocumented)."""
    documented = [
        (method.upper(), path)
        for path, item in runtime.app.openapi()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]
    return sorted(documented + _routes_of(ops_router(runtime.app.state.ops)))


def _filled(path: str, values: dict[str, str] | None = None) -> str:
    """The path with each parameter given its value in `values`, or a random UUID."""
    return PARAM.sub(lambda m: (values or {}).get(m.group(1), str(uuid.uuid4())), path)


def test_every_v1_operation_but_the_token_endpoint_needs_a_credential_with_a_scope() -> None:
    signed_pushes = {("POST", "/v1/webhooks/hires"), ("POST", "/v1/webhooks/inbound/{kind}")}
    for operation in OPERATIONS:
        if (operation.method, operation.path) == ("POST", "/v1/oauth/token"):
            assert not operation.spec.get("security")
            continue
        assert operation.spec.get("security"), f"{operation.id} is open to anyone"
        if (operation.method, operation.path) in signed_pushes:
            continue  # bound to an association's source and signature instead (ADR 005)
        assert operation.scopes, f"{operation.id} needs no scope"
        assert set(operation.scopes) <= set(SCOPES), operation.id


async def test_every_ops_api_route_needs_the_operator_tenant_and_the_ops_scope(world: World) -> None:
    routes = [r for r in _routes_of(ops_routes.router) if r[1].startswith("/ops/api")]
    assert routes, "the gateway serves no /ops/api route"
    operator = await world.key("smartfr", frozenset({"ops"}))
    operator_without_ops = await world.key("smartfr", frozenset(SCOPES) - {"ops"})
    other_tenant = await world.key(TENANT_A, frozenset(SCOPES) | {"ops"})
    for method, path in routes:
        url = _filled(path, {"service": "members", "dead_letter_id": "1"})
        for credential, expected in (
            (None, 401),
            ("not-a-credential", 401),
            (operator_without_ops, 403),
            (other_tenant, 403),
        ):
            headers = {"Idempotency-Key": str(uuid.uuid4())}
            if credential:
                headers["Authorization"] = f"Bearer {credential}"
            answer = await world.gateway.request(method, url, headers=headers)
            assert answer.status_code == expected, f"{method} {path} as {credential!r}: {answer.text}"
            assert answer.headers["content-type"].startswith("application/problem+json")
        answer = await world.gateway.request(
            method, url, headers={"Authorization": f"Bearer {operator}", "Idempotency-Key": str(uuid.uuid4())}
        )
        assert answer.status_code in (200, 202, 404), f"{method} {path} as the operator: {answer.text}"


@pytest.mark.parametrize("service", ["members", "contracts", "billing", "payroll"])
async def test_every_internal_route_refuses_a_caller_without_the_internal_token(
    world: World, service: str
) -> None:
    runtime = world.backoffice.services[service]
    public_key = await world.key(TENANT_A, frozenset(SCOPES))
    routes = _internal_routes(runtime)
    assert routes, f"{service} serves no route"
    transport = httpx.ASGITransport(app=runtime.app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{service}") as client:
        for method, path in routes:
            for headers in ({}, {"Authorization": f"Bearer {public_key}"}):
                answer = await client.request(method, _filled(path), headers=headers, json={})
                assert answer.status_code in (401, 403), f"{service} {method} {path} {headers}: {answer.text}"
                assert answer.headers["content-type"].startswith("application/problem+json")
