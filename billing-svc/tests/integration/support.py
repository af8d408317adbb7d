"""A billing-svc of its own for integration tests: a fresh database, the service in-process or alone."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from billing_svc.config import Settings
from billing_svc.entrypoints.definition import definition
from services.internal_token import Caller, issue
from services.runtime import ServiceRuntime
from services.settings import DEV_INTERNAL_TOKEN_SECRET

PROCS = Path(__file__).parent / "procs"
SCOPES = frozenset({"invoices:read", "invoices:write"})
SELLER = {
    "name": "SmartFr SCIC",
    "siren": "443061841",
    "vat_number": "FR64443061841",
    "address": {"street": "5 rue de la Coopération", "postal_code": "75011", "city": "Paris"},
    "electronic_address": "443061841",
}
BUYER = {
    "name": "Les Ateliers du Spectacle",
    "siren": "732829320",
    "vat_number": "FR44732829320",
    "address": {"street": "12 rue des Arts", "postal_code": "69001", "city": "Lyon"},
    "electronic_address": "732829320",
}


def headers(tenant: str) -> dict[str, str]:
    token = issue(
        DEV_INTERNAL_TOKEN_SECRET, Caller(tenant, "tests", SCOPES), audience="billing", ttl_seconds=3600
    )
    return {"Authorization": f"Bearer {token}"}


def invoice_body(series: str = "F", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "series": series,
        "activity_id": str(uuid.uuid4()),
        "seller": SELLER,
        "buyer": BUYER,
        "lines": [
            {"description": "Scénographie", "quantity": "2", "unit_price_cents": 45000, "vat_percent": "20"},
            {"description": "Catalogues", "quantity": "3.5", "unit_price_cents": 1999, "vat_percent": "5.5"},
        ],
        "payment_terms": {"days": 30},
    }
    body.update(fields)
    return body


@asynccontextmanager
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    name = f"billing_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    try:
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()


def settings(database_url: str, **fields: Any) -> Settings:
    return Settings(database_url=database_url, bus="postgres", **fields)


@asynccontextmanager
async def in_process(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    runtime = ServiceRuntime(definition(), settings(database_url, schematron_workers=1))
    await runtime.start()
    try:
        transport = httpx.ASGITransport(app=runtime.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://billing", timeout=60) as client:
            yield client
    finally:
        await runtime.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def start_process(database_url: str, port: int) -> asyncio.subprocess.Process:
    """`billing` as its own OS process (PostgreSQL bus), answering once it printed READY."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(PROCS / "serve_billing.py"),
        database_url,
        str(port),
        stdout=asyncio.subprocess.PIPE,
        env=os.environ.copy(),
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 60)
    assert line.strip() == b"READY", line
    return proc


def euros(value: str) -> int:
    return int(Decimal(value) * 100)
