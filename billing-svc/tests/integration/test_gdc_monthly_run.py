"""The GDC monthly run on the real database, billing in process, fed through its real consumers: payslips and
associations published as `payroll.PayslipIssued` / `members.EmployerStructureRegistered` rows of their
producers' outboxes (the embedded bus reads them there).

One invoice per association and month whatever happens: the run repeated, two runs at once, a run that
stopped after closing a month or after drafting its invoice; the pain.008 file of each collection validates,
FRST then RCUR under one mandate."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest_asyncio
from lxml import etree

from billing_svc.bootstrap import Billing
from billing_svc.domain.gdc import fee_cents
from billing_svc.sepa.direct_debit import NAMESPACE, validate_pain_008
from services.runtime import ServiceRuntime

from .support import fresh_database, headers, settings


def _shared_events() -> ModuleType:
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


_events = _shared_events()
Payslip = _events.Payslip
employer_registered = _events.employer_registered
payslip_issued = _events.payslip_issued
producer_outbox = _events.producer_outbox
publish = _events.publish

TENANT = "smartfr"
FEE = Decimal("5")  # reference/gdc_fees.json, smartfr from 2020
WITHIN = 60.0


@dataclass
class Running:
    url: str
    client: httpx.AsyncClient
    service: Billing


@pytest_asyncio.fixture(scope="module")
async def billing(database_url: str) -> AsyncIterator[Running]:
    async with fresh_database(database_url) as url:
        for producer in ("payroll", "members"):
            await producer_outbox(url, producer)
        from billing_svc.entrypoints.definition import definition

        runtime = ServiceRuntime(definition(), settings(url, schematron_workers=1), poll_interval=0.2)
        await runtime.start()
        try:
            transport = httpx.ASGITransport(app=runtime.app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://billing", timeout=60
            ) as client:
                yield Running(url, client, runtime.app.state.service)
        finally:
            await runtime.stop()


async def _until(condition: Callable[[], Awaitable[bool]]) -> None:
    deadline = time.monotonic() + WITHIN
    while not await condition():
        assert time.monotonic() < deadline, f"{condition.__name__} still false after {WITHIN}s"
        await asyncio.sleep(0.05)


async def _value(url: str, query: str, *args: object) -> Any:
    conn = await asyncpg.connect(url, server_settings={"search_path": "billing"})
    try:
        return await conn.fetchval(query, *args)
    finally:
        await conn.close()


async def _association(running: Running, siret: str, name: str) -> UUID:
    employer_id = uuid4()
    await publish(running.url, "members", [employer_registered(TENANT, employer_id, siret, name)])

    async def known() -> bool:
        return bool(
            await _value(
                running.url, "SELECT count(*) FROM gdc_associations WHERE employer_id = $1", employer_id
            )
        )

    await _until(known)
    return employer_id


async def _payslips(running: Running, payslips: list[Payslip]) -> None:
    await publish(running.url, "payroll", [payslip_issued(TENANT, p) for p in payslips])
    ids = [p.payslip_id for p in payslips]

    async def learnt() -> bool:
        count = await _value(running.url, "SELECT count(*) FROM gdc_payslips WHERE payslip_id = ANY($1)", ids)
        return bool(count == len(ids))

    await _until(learnt)


def _mandate(reference: str, **debtor: object) -> dict[str, object]:
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


async def _run(client: httpx.AsyncClient, run_on: str) -> dict[str, Any]:
    answer = await client.post(
        "/internal/gdc/monthly-invoices", json={"run_on": run_on}, headers=headers(TENANT)
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _of(run: dict[str, Any], employer_id: UUID) -> dict[str, Any]:
    [found] = [i for i in run["invoices"] if i["employer_id"] == str(employer_id)]
    return found


def _text(xml: bytes, path: str) -> str:
    found = etree.fromstring(xml).xpath(f"string({path})", namespaces={"p": NAMESPACE})
    assert isinstance(found, str)
    return found


async def test_the_month_of_an_association_with_20_contracts_is_one_invoice_and_one_direct_debit(
    billing: Running,
) -> None:
    client = billing.client
    association = await _association(billing, "73282932000074", "Les Ateliers du Spectacle")
    signed = await client.post(
        f"/internal/employers/{association}/sepa-mandates",
        json=_mandate("GDC-ATELIERS-0001"),
        headers=headers(TENANT),
    )
    assert signed.status_code == 201, signed.text
    november = [Payslip(association, "2026-11", 150_000 + 1_357 * n, 210_000 + 1_911 * n) for n in range(20)]
    # A correction counts by its difference; December waits for its month; an employer billing does not know
    # as an association (a member's activity's payslip) is not GDC.
    correction = Payslip(association, "2026-11", 160_000, 224_000, corrects=november[0].payslip_id)
    december = Payslip(association, "2026-12", 99_000, 139_000)
    stranger = Payslip(uuid4(), "2026-11", 500_000, 700_000)
    await _payslips(billing, [*november, correction, december, stranger])

    run = await _run(client, "2026-12-01")
    assert run["month"] == "2026-11"
    invoiced = _of(run, association)
    gross = sum(p.gross_cents for p in november) + (correction.gross_cents - november[0].gross_cents)
    cost = sum(p.employer_cost_cents for p in november) + (
        correction.employer_cost_cents - november[0].employer_cost_cents
    )
    contributions = cost - gross
    assert invoiced["total_cents"] == gross + contributions + fee_cents(cost, FEE)  # exempt: no VAT
    assert invoiced["sequence_type"] == "FRST"

    read = await client.get(f"/internal/invoices/{invoiced['invoice_id']}", headers=headers(TENANT))
    assert read.status_code == 200, read.text
    invoice = read.json()
    assert [line["unit_price_cents"] for line in invoice["lines"]] == [
        gross,
        contributions,
        fee_cents(cost, FEE),
    ]
    assert invoice["lines"][0]["description"] == "Salaires bruts 2026-11 (21 bulletins)"
    assert (invoice["status"], invoice["number"], invoice["vat_exemption"]) == (
        "issued",
        invoiced["number"],
        "cost_sharing_261B",
    )
    assert invoice["seller"]["siren"] == "443061841"  # the tenant's legal entity (reference/tenants.json)
    assert (invoice["buyer"]["siren"], invoice["buyer"]["address"]["city"]) == ("732829320", "Lyon")

    xml = await client.get(
        f"/internal/gdc/direct-debits/{invoiced['direct_debit_id']}.xml", headers=headers(TENANT)
    )
    assert xml.status_code == 200, xml.text
    validate_pain_008(xml.content)
    assert _text(xml.content, "//p:SeqTp") == "FRST"
    assert _text(xml.content, "//p:InstdAmt") == f"{Decimal(invoiced['total_cents']) / 100:.2f}"
    assert _text(xml.content, "//p:MndtId") == "GDC-ATELIERS-0001"
    assert _text(xml.content, "//p:ReqdColltnDt") == invoice["due_date"]

    again = await _run(client, "2026-12-01")
    assert _of(again, association) == invoiced  # the same invoice, the same file
    published = await _value(
        billing.url,
        """SELECT jsonb_agg(envelope->'data' ORDER BY position) FROM outbox
           WHERE envelope->>'event_type' IN ('billing.SepaMandateSigned', 'billing.DirectDebitPrepared')
             AND envelope->'data'->>'employer_id' = $1""",
        str(association),
    )
    signed_event, prepared = json.loads(published)
    assert (signed_event["reference"], signed_event["scheme"]) == ("GDC-ATELIERS-0001", "CORE")
    assert "iban" not in signed_event  # the debtor's account stays in billing-svc
    assert (prepared["direct_debit_id"], prepared["invoice_id"], prepared["amount_cents"]) == (
        invoiced["direct_debit_id"],
        invoiced["invoice_id"],
        invoiced["total_cents"],
    )
    assert (prepared["sequence_type"], prepared["collection_date"]) == ("FRST", invoice["due_date"])
    months = await _value(billing.url, "SELECT count(*) FROM gdc_months WHERE employer_id = $1", association)
    debits = await _value(
        billing.url, "SELECT count(*) FROM direct_debits WHERE invoice_id = $1", UUID(invoiced["invoice_id"])
    )
    assert (months, debits) == (1, 1)

    # December's payslip goes on January's run, collected as a recurring debit under the same mandate.
    january = _of(await _run(client, "2027-01-01"), association)
    assert january["invoice_id"] != invoiced["invoice_id"]
    expected = december.employer_cost_cents + fee_cents(december.employer_cost_cents, FEE)
    assert (january["total_cents"], january["sequence_type"]) == (expected, "RCUR")
    file = await client.get(
        f"/internal/gdc/direct-debits/{january['direct_debit_id']}.xml", headers=headers(TENANT)
    )
    assert _text(file.content, "//p:SeqTp") == "RCUR"


async def test_runs_repeated_at_once_or_resumed_after_a_stop_issue_one_invoice_per_association(
    billing: Running,
) -> None:
    gdc = billing.service.gdc
    closed_only = await _association(billing, "40483304800022", "Compagnie Théâtre du Nord")
    drafted_only = await _association(billing, "73282932000074", "Atelier Deux")
    untouched = await _association(billing, "73282932000074", "Atelier Trois")
    for employer in (closed_only, drafted_only, untouched):
        await _payslips(billing, [Payslip(employer, "2027-02", 180_000, 250_000) for _ in range(3)])
    # A run that stopped after closing one month, and after drafting another's invoice (not finalised).
    await gdc._close(closed_only, "2027-02", FEE, TENANT, "")
    month = await gdc._close(drafted_only, "2027-02", FEE, TENANT, "")
    from billing_svc.domain.gdc.invoice import gdc_content
    from billing_svc.reference.tenants import TENANTS

    settings = TENANTS.gdc(TENANT)
    await gdc.invoices.draft(
        month.invoice_id,
        series=settings.series,
        activity_id=settings.activity_id,
        seller=None,
        content=gdc_content(month, await gdc._buyer(drafted_only, TENANT), settings),
        corrects=None,
        tenant=TENANT,
        correlation_id="",
    )

    first, second = await asyncio.gather(
        _run(billing.client, "2027-03-01"), _run(billing.client, "2027-03-01")
    )
    for employer in (closed_only, drafted_only, untouched):
        assert _of(first, employer) == _of(second, employer)
        invoice_id = UUID(_of(first, employer)["invoice_id"])
        issued = await _value(
            billing.url, "SELECT count(*) FROM issued_invoices WHERE invoice_id = $1", invoice_id
        )
        months = await _value(
            billing.url,
            "SELECT count(*) FROM gdc_months WHERE employer_id = $1 AND month = '2027-02'",
            employer,
        )
        assert (issued, months) == (1, 1)
        assert _of(first, employer)["total_cents"] == 3 * 250_000 + fee_cents(3 * 250_000, FEE)
    assert _of(first, drafted_only)["invoice_id"] == str(month.invoice_id)
    numbers = [i["number"] for i in first["invoices"]]
    assert len(set(numbers)) == len(numbers)


async def test_a_mandate_is_refused_with_the_field_named_and_its_reference_used_once(
    billing: Running,
) -> None:
    client = billing.client
    association = await _association(billing, "40483304800022", "Compagnie Mandats")
    path = f"/internal/employers/{association}/sepa-mandates"
    bad_iban = await client.post(
        path, json=_mandate("GDC-NORD-1", iban="FR7630004000000002345678984"), headers=headers(TENANT)
    )
    assert (bad_iban.status_code, bad_iban.json()["param"]) == (400, "body.debtor.iban")
    assert bad_iban.headers["content-type"].startswith("application/problem+json")
    ok = await client.post(path, json=_mandate("GDC-NORD-1"), headers=headers(TENANT))
    assert ok.status_code == 201, ok.text
    assert ok.json()["iban_last4"] == "8983"
    taken = await client.post(path, json=_mandate("GDC-NORD-1"), headers=headers(TENANT))
    assert (taken.status_code, taken.json()["param"]) == (409, "body.reference")
    unknown = await client.post(
        f"/internal/employers/{uuid4()}/sepa-mandates", json=_mandate("GDC-X-1"), headers=headers(TENANT)
    )
    assert unknown.status_code == 404
    not_first = await client.post(
        "/internal/gdc/monthly-invoices", json={"run_on": "2026-12-02"}, headers=headers(TENANT)
    )
    assert (not_first.status_code, not_first.json()["param"]) == (400, "body.run_on")
    other_tenant = await client.post(
        "/internal/gdc/monthly-invoices", json={"run_on": "2026-12-01"}, headers=headers("alterna")
    )
    assert (other_tenant.status_code, other_tenant.json()["type"].rsplit("/", 1)[-1]) == (
        422,
        "gdc_not_offered",
    )
