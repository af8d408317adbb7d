"""The GDC monthly run killed midway (SIGKILL of the billing process), then run again: every association has
exactly one invoice for the month, numbered without gap, each payslip counted once, one pain.008 file per
invoice collected under a mandate."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from stdnum import luhn

from billing_svc.domain.gdc import fee_cents

from .support import free_port, fresh_database, headers, start_process

TENANT = "smartfr"
ASSOCIATIONS = 12
PAYSLIPS_EACH = 3
FEE = Decimal("5")
WITHIN = 180.0


def _shared_events() -> ModuleType:
    """tests/e2e/gdc_events.py, loaded by path (see test_gdc_monthly_run.py)."""
    if "gdc_events" in sys.modules:
        return sys.modules["gdc_events"]
    path = Path(__file__).resolve().parents[3] / "tests" / "e2e" / "gdc_events.py"
    spec = importlib.util.spec_from_file_location("gdc_events", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gdc_events"] = module
    spec.loader.exec_module(module)
    return module


events = _shared_events()


async def _until(condition: Callable[[], Awaitable[bool]]) -> None:
    deadline = time.monotonic() + WITHIN
    while not await condition():
        assert time.monotonic() < deadline, f"{condition.__name__} still false after {WITHIN}s"
        await asyncio.sleep(0.05)


def _siret(n: int) -> str:
    without_key = f"732829320{n:04d}"
    return without_key + luhn.calc_check_digit(without_key)


@pytest.mark.slow  # two process starts
async def test_a_run_killed_midway_then_run_again_issues_one_invoice_per_association(
    database_url: str,
) -> None:
    async with fresh_database(database_url) as url:
        for producer in ("payroll", "members"):
            await events.producer_outbox(url, producer)
        conn = await asyncpg.connect(url, server_settings={"search_path": "billing"})

        async def value(query: str, *args: object) -> Any:
            return await conn.fetchval(query, *args)

        port = free_port()
        process = await start_process(url, port)
        try:
            employers = [uuid4() for _ in range(ASSOCIATIONS)]
            await events.publish(
                url,
                "members",
                [
                    events.employer_registered(TENANT, e, _siret(n), f"Asso {n}")
                    for n, e in enumerate(employers)
                ],
            )
            payslips = [
                events.Payslip(e, "2026-11", 100_000 + 1_000 * k, 140_000 + 1_300 * k)
                for e in employers
                for k in range(PAYSLIPS_EACH)
            ]
            await events.publish(url, "payroll", [events.payslip_issued(TENANT, p) for p in payslips])

            async def learnt() -> bool:
                known = await value("SELECT count(*) FROM gdc_associations")
                return bool(
                    known == ASSOCIATIONS
                    and await value("SELECT count(*) FROM gdc_payslips") == len(payslips)
                )

            await _until(learnt)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
                for n, employer in enumerate(employers[::2]):
                    signed = await client.post(
                        f"/internal/employers/{employer}/sepa-mandates",
                        json={
                            "reference": f"GDC-CRASH-{n}",
                            "signed_on": "2026-11-02",
                            "debtor": {
                                "name": f"Asso {n}",
                                "address": {"street": "1 rue A", "postal_code": "69001", "city": "Lyon"},
                                "iban": "FR7630004000000002345678983",
                            },
                        },
                        headers=headers(TENANT),
                    )
                    assert signed.status_code == 201, signed.text
                run = asyncio.ensure_future(
                    client.post(
                        "/internal/gdc/monthly-invoices",
                        json={"run_on": "2026-12-01"},
                        headers=headers(TENANT),
                    )
                )

                async def some_issued() -> bool:
                    return bool(await value("SELECT count(*) FROM issued_invoices WHERE series = 'GDC'") >= 3)

                await _until(some_issued)
                process.send_signal(signal.SIGKILL)
                await process.wait()
                with contextlib.suppress(httpx.HTTPError):
                    await run
            issued_before = await value("SELECT count(*) FROM issued_invoices WHERE series = 'GDC'")
            assert issued_before < ASSOCIATIONS, "the run ended before the kill: nothing was interrupted"

            process = await start_process(url, port)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
                again = await client.post(
                    "/internal/gdc/monthly-invoices", json={"run_on": "2026-12-01"}, headers=headers(TENANT)
                )
            assert again.status_code == 200, again.text
            invoices = again.json()["invoices"]
            assert sorted(i["employer_id"] for i in invoices) == sorted(str(e) for e in employers)
            for invoice in invoices:
                costs = [
                    p.employer_cost_cents for p in payslips if str(p.employer_id) == invoice["employer_id"]
                ]
                assert invoice["total_cents"] == sum(costs) + fee_cents(sum(costs), FEE)
                assert (invoice["direct_debit_id"] is not None) == (
                    UUID(invoice["employer_id"]) in employers[::2]
                )
            sequences = [
                r["sequence"]
                for r in await conn.fetch(
                    "SELECT sequence FROM issued_invoices WHERE series = 'GDC' ORDER BY 1"
                )
            ]
            assert sequences == list(range(1, ASSOCIATIONS + 1))  # one each, no gap, no duplicate
            assert await value("SELECT count(*) FROM gdc_months") == ASSOCIATIONS
            assert await value("SELECT count(*) FROM gdc_payslips WHERE closed_month = '2026-11'") == len(
                payslips
            )
            assert await value("SELECT count(*) FROM direct_debits") == len(employers[::2])
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), 30)
            await conn.close()
