"""An incoming `traceparent` continues into the handler: the outbox and problems carry the caller's trace."""

from __future__ import annotations

import httpx
from fastapi import APIRouter
from services.http import create_app
from services.telemetry import current_traceparent

INCOMING = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def build() -> httpx.AsyncClient:
    router = APIRouter()

    @router.get("/traceparent")
    async def seen() -> dict[str, str | None]:
        return {"traceparent": current_traceparent()}

    app = create_app(title="test-tracing", version="1", routers=[router])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_the_handler_runs_in_the_callers_trace() -> None:
    async with build() as client:
        response = await client.get("/traceparent", headers={"traceparent": INCOMING})
    seen = response.json()["traceparent"]
    assert seen is not None
    assert seen.split("-")[1] == INCOMING.split("-")[1]


async def test_a_problem_names_the_callers_trace_id() -> None:
    async with build() as client:
        response = await client.get("/missing", headers={"traceparent": INCOMING})
    assert response.status_code == 404
    assert response.json()["trace_id"] == INCOMING.split("-")[1]


async def test_without_a_trace_the_problem_says_so() -> None:
    async with build() as client:
        response = await client.get("/missing")
    assert response.json()["trace_id"] is None
