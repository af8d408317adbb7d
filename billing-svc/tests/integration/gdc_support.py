"""What the GDC integration tests share: billing in process on a fresh database (the worker's own run of
the 1st off unless asked: the tests run the month themselves), associations and payslips published as their
producers publish them, and waiting for billing to learn them."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx

from billing_svc.bootstrap import Billing
from services.runtime import ServiceRuntime

from .support import fresh_database, headers, settings


def shared_events() -> ModuleType:
    """tests/e2e/gdc_events.py (shared with the e2e test and the benchmark), loaded by path: the workspace's
    `tests` package is importable only once pytest imported a module under it."""
    path = Path(__file__).resolve().parents[3] / "tests" / "e2e" / "gdc_events.py"
    spec = importlib.util.spec_from_file_location("gdc_events", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gdc_events"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


events = shared_events()
Payslip = events.Payslip
employer_registered = events.employer_registered
payslip_issued = events.payslip_issued
producer_outbox = events.producer_outbox
publish = events.publish

TENANT = "smartfr"
FEE = Decimal("5")  # reference/gdc_fees.json, smartfr from 2020
WITHIN = 60.0


@dataclass
class Running:
    url: str
    client: httpx.AsyncClient
    service: Billing


@asynccontextmanager
async def running_billing(database_url: str, **fields: Any) -> AsyncIterator[Running]:
    async with fresh_database(database_url) as url:
        # Every topic billing's consumers read (the activity accounts read contracts' too): a missing outbox
        # would keep that consumer failing, and not reading billing's own events either.
        for producer in ("payroll", "members", "contracts"):
            await producer_outbox(url, producer)
        from billing_svc.entrypoints.definition import definition

        options: dict[str, Any] = {"schematron_workers": 1, "gdc_monthly_run_enabled": False, **fields}
        runtime = ServiceRuntime(definition(), settings(url, **options), poll_interval=0.2)
        await runtime.start()
        try:
            transport = httpx.ASGITransport(app=runtime.app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://billing", timeout=60
            ) as client:
                yield Running(url, client, runtime.app.state.service)
        finally:
            await runtime.stop()


async def until(condition: Callable[[], Awaitable[bool]]) -> None:
    deadline = time.monotonic() + WITHIN
    while not await condition():
        assert time.monotonic() < deadline, f"{condition.__name__} still false after {WITHIN}s"
        await asyncio.sleep(0.05)


async def value(url: str, query: str, *args: object) -> Any:
    conn = await asyncpg.connect(url, server_settings={"search_path": "billing"})
    try:
        return await conn.fetchval(query, *args)
    finally:
        await conn.close()


async def register_association(
    running: Running, siret: str, name: str, address: dict[str, str] | None = None
) -> UUID:
    employer_id = uuid4()
    await publish(running.url, "members", [employer_registered(TENANT, employer_id, siret, name, address)])

    async def known() -> bool:
        return bool(
            await value(
                running.url, "SELECT count(*) FROM gdc_associations WHERE employer_id = $1", employer_id
            )
        )

    await until(known)
    return employer_id


async def publish_payslips(running: Running, payslips: list[Payslip]) -> None:
    await publish(running.url, "payroll", [payslip_issued(TENANT, p) for p in payslips])
    ids = [p.payslip_id for p in payslips]

    async def learnt() -> bool:
        count = await value(running.url, "SELECT count(*) FROM gdc_payslips WHERE payslip_id = ANY($1)", ids)
        return bool(count == len(ids))

    await until(learnt)


def mandate_body(reference: str, **debtor: object) -> dict[str, object]:
    return {
        "reference": reference,
        "signed_on": "2026-11-02",
        "debtor": {
            "name": "Les Ateliers du Spectacle",
            "address": {"street": "12 rue des Arts", "postal_code": "69001", "city": "Lyon"},
            "iban": "FR76 3000 4000 0000 0234 5678 983",
            **debtor,
        },
    }


async def signed_mandate(running: Running, employer_id: UUID, reference: str) -> dict[str, Any]:
    answer = await running.client.post(
        f"/internal/employers/{employer_id}/sepa-mandates",
        json=mandate_body(reference),
        headers=headers(TENANT),
    )
    assert answer.status_code == 201, answer.text
    signed: dict[str, Any] = answer.json()
    return signed
