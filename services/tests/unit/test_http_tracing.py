"""An incoming `traceparent` continues into the handler: the outbox and problems carry the caller's trace."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

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


SERVER_SPANS = """
    import asyncio, json
    import httpx
    from fastapi import APIRouter
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from services.http import create_app

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)

    router = APIRouter()

    @router.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        if thing_id == "bad":
            raise RuntimeError("boom")
        return {}

    async def main() -> None:
        app = create_app(title="t", version="1", routers=[router])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await client.get("/things/a", headers={"traceparent": "%s"})
            await client.get("/things/bad")

    asyncio.run(main())
    print(json.dumps([
        {
            "name": span.name,
            "trace_id": format(span.context.trace_id, "032x"),
            "parent": format(span.parent.span_id, "016x") if span.parent else None,
            "status": span.attributes["http.response.status_code"],
            "route": span.attributes["http.route"],
            "error": span.status.status_code.name,
            "events": [event.name for event in span.events],
        }
        for span in exporter.get_finished_spans()
    ]))
"""


def test_with_an_sdk_each_request_is_a_server_span_named_by_its_route() -> None:
    """Run in a child process: the tracer provider is global and set once per process."""
    code = textwrap.dedent(SERVER_SPANS % INCOMING)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    ok, failed = json.loads(result.stdout.strip().splitlines()[-1])
    assert ok == {
        "name": "GET /things/{thing_id}",
        "trace_id": INCOMING.split("-")[1],
        "parent": INCOMING.split("-")[2],
        "status": 200,
        "route": "/things/{thing_id}",
        "error": "UNSET",
        "events": [],
    }
    assert failed["status"] == 500
    assert failed["error"] == "ERROR"
    assert failed["events"] == ["exception"]
    assert failed["trace_id"] != ok["trace_id"]
