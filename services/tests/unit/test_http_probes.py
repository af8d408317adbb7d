"""Request ids, liveness and readiness probes, and the Prometheus exposition of the app factory's apps."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from prometheus_client import CollectorRegistry, Counter

from services.http import PROBLEM_MEDIA_TYPE, create_app
from services.http import probes as probes_module


def app_with(checks: dict[str, probes_module.ReadinessCheck] | None = None, **kwargs: object) -> FastAPI:
    router = APIRouter()

    @router.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"thing_id": thing_id}

    return create_app(title="test-probes", version="1", routers=[router], readiness_checks=checks, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_with()), base_url="http://t"
    ) as client:
        yield client


async def test_a_request_without_an_id_gets_a_new_uuid(client: httpx.AsyncClient) -> None:
    first = (await client.get("/things/a")).headers["request-id"]
    second = (await client.get("/things/a")).headers["request-id"]
    assert uuid.UUID(first)
    assert uuid.UUID(second)
    assert first != second


async def test_a_valid_incoming_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/things/a", headers={"Request-Id": "gw-7f3a.42"})
    assert response.headers["request-id"] == "gw-7f3a.42"
    problem = await client.get("/nowhere", headers={"Request-Id": "gw-7f3a.43"})
    assert problem.headers["request-id"] == "gw-7f3a.43"
    assert problem.json()["request_id"] == "gw-7f3a.43"


@pytest.mark.parametrize("bad", ["has space", "x" * 200, "new\\nline", "<script>"])
async def test_an_invalid_incoming_request_id_is_replaced(client: httpx.AsyncClient, bad: str) -> None:
    response = await client.get("/things/a", headers={"Request-Id": bad})
    assert response.headers["request-id"] != bad
    assert uuid.UUID(response.headers["request-id"])


async def test_healthz_answers_while_the_process_lives(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_200_when_every_check_passes() -> None:
    async def db() -> None:
        return None

    async def broker() -> bool:
        return True

    app = app_with({"db": db, "broker": broker})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"db": "ok", "broker": "ok"}}


async def test_readyz_is_a_503_problem_naming_the_failing_checks() -> None:
    async def db() -> None:
        raise ConnectionRefusedError("password=hunter2")

    async def broker() -> bool:
        return False

    async def cache() -> None:
        await asyncio.Event().wait()  # never answers

    async def fine() -> None:
        return None

    app = app_with({"db": db, "broker": broker, "cache": cache, "fine": fine}, readiness_timeout_seconds=0.05)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["code"] == "not_ready"
    assert body["checks"] == {"db": "failed", "broker": "failed", "cache": "timeout", "fine": "ok"}
    assert "hunter2" not in response.text


def sample(exposition: str, name: str, **labels: str) -> float | None:
    for line in exposition.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line[len(name) + 1 : line.rindex("}")]))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


async def test_metrics_count_requests_by_route_template_not_raw_path(client: httpx.AsyncClient) -> None:
    labels = {
        "service_name": "test-probes",
        "http_request_method": "GET",
        "http_route": "/things/{thing_id}",
        "http_response_status_code": "200",
    }
    before = sample((await client.get("/metrics")).text, "http_server_requests_total", **labels) or 0.0
    for thing in ("a", "b", "c"):
        await client.get(f"/things/{thing}")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert sample(text, "http_server_requests_total", **labels) == before + 3
    assert sample(text, "http_server_request_duration_seconds_count", **labels) is not None
    assert 'http_route="/things/a"' not in text


async def test_metrics_label_unknown_routes_as_unmatched(client: httpx.AsyncClient) -> None:
    await client.get(f"/random/{uuid.uuid4()}")
    text = (await client.get("/metrics")).text
    assert (
        sample(
            text,
            "http_server_request_duration_seconds_count",
            http_route="<unmatched>",
            http_response_status_code="404",
        )
        is not None
    )


async def test_metrics_can_expose_a_given_registry() -> None:
    registry = CollectorRegistry()
    Counter("widgets_made_total", "Widgets.", registry=registry).inc(7)
    app = app_with(metrics_registry=registry)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        text = (await client.get("/metrics")).text
    assert "widgets_made_total 7.0" in text
    assert "http_server_requests_total" not in text


async def test_probes_stay_out_of_the_openapi_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert set(paths) == {"/things/{thing_id}"}
