"""The chassis freezes the heap at the first request (full collections then skip the startup objects)."""

from __future__ import annotations

import gc

import httpx
from fastapi import APIRouter

from services.http import create_app


async def test_the_heap_is_frozen_once_a_request_was_served() -> None:
    app = create_app(title="heap", version="1", routers=[APIRouter()])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/healthz")).status_code == 200

    assert gc.get_freeze_count() > 0
