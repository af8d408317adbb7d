"""Finalising through billing-svc's API on the real database: numbers, the issued XML, Factur-X refusals."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest_asyncio
from facturx.facturx import get_xml_from_pdf
from lxml import etree

from billing_svc.facturx import checks
from billing_svc.facturx.cii import RAM

from .support import BUYER, fresh_database, headers, in_process, invoice_body

TENANT = "smartfr"


@pytest_asyncio.fixture(scope="module")
async def billing_url(database_url: str) -> AsyncIterator[str]:
    async with fresh_database(database_url) as url:
        yield url


@pytest_asyncio.fixture(scope="module")
async def billing(billing_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with in_process(billing_url) as client:
        yield client


async def _outbox(url: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(url, server_settings={"search_path": "billing"})
    try:
        rows = await conn.fetch("SELECT envelope FROM outbox ORDER BY position")
    finally:
        await conn.close()
    return [json.loads(r["envelope"]) for r in rows]


async def _draft(billing: httpx.AsyncClient, tenant: str = TENANT, **fields: object) -> dict[str, object]:
    answer = await billing.post("/internal/invoices", json=invoice_body(**fields), headers=headers(tenant))
    assert answer.status_code == 201, answer.text
    body: dict[str, object] = answer.json()
    assert body["status"] == "draft"
    assert body["number"] is None
    return body


async def test_a_finalised_invoice_is_numbered_totalled_and_has_its_checked_xml(
    billing: httpx.AsyncClient,
) -> None:
    draft = await _draft(billing, series="T1")
    answer = await billing.post(f"/internal/invoices/{draft['id']}/finalise", headers=headers(TENANT))
    assert answer.status_code == 200, answer.text
    issued = answer.json()
    assert issued["number"] == "T1-000001"
    assert issued["totals"] == {"lines_cents": 96997, "vat_cents": 18385, "total_cents": 115382}
    xml = await billing.get(f"/internal/invoices/{draft['id']}.xml", headers=headers(TENANT))
    assert xml.status_code == 200
    assert checks.xsd_violations(xml.content) == []
    assert checks.schematron_violations(xml.content) == []
    tree = etree.fromstring(xml.content)
    ns = {"ram": RAM}
    assert (
        tree.findtext(".//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID", namespaces=ns) == "S1"
    )
    subjects = [n.text for n in tree.iterfind(".//ram:IncludedNote/ram:SubjectCode", namespaces=ns)]
    assert {"PMT", "PMD", "AAB"} <= set(subjects)
    pdf = await billing.get(f"/internal/invoices/{draft['id']}.pdf", headers=headers(TENANT))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    filename, embedded = get_xml_from_pdf(pdf.content, check_xsd=False)
    assert filename == "factur-x.xml"
    assert embedded == xml.content


async def test_finalising_publishes_invoice_issued_once_and_a_credit_note_its_own_event(
    billing: httpx.AsyncClient, billing_url: str
) -> None:
    draft = await _draft(billing, series="P1")
    for _ in range(2):  # the retry publishes nothing more
        await billing.post(f"/internal/invoices/{draft['id']}/finalise", headers=headers(TENANT))
    note = await billing.post(
        "/internal/credit_notes",
        json=invoice_body(series="PA1", corrects=draft["id"], lines=[invoice_body()["lines"][1]]),
        headers=headers(TENANT),
    )
    await billing.post(f"/internal/invoices/{note.json()['id']}/finalise", headers=headers(TENANT))
    rows = await _outbox(billing_url)
    issued = [r for r in rows if r["data"]["number"].startswith("P1-")]
    credited = [r for r in rows if r["data"]["number"].startswith("PA1-")]
    assert [r["event_type"] for r in issued] == ["billing.InvoiceIssued"]
    assert issued[0]["data"]["total_cents"] == 115382
    assert issued[0]["data"]["buyer_siren"] == "732829320"
    assert [r["event_type"] for r in credited] == ["billing.CreditNoteIssued"]
    assert credited[0]["data"]["corrects_number"] == "P1-000001"


async def test_a_retried_finalisation_returns_the_same_number(billing: httpx.AsyncClient) -> None:
    draft = await _draft(billing, series="T2")
    first = await billing.post(f"/internal/invoices/{draft['id']}/finalise", headers=headers(TENANT))
    again = await billing.post(f"/internal/invoices/{draft['id']}/finalise", headers=headers(TENANT))
    assert first.json()["number"] == again.json()["number"] == "T2-000001"
    second = await _draft(billing, series="T2")
    numbered = await billing.post(f"/internal/invoices/{second['id']}/finalise", headers=headers(TENANT))
    assert numbered.json()["number"] == "T2-000002"


async def test_each_tenant_has_its_own_sequence(billing: httpx.AsyncClient) -> None:
    for tenant in ("tenant-a", "tenant-b"):
        draft = await _draft(billing, tenant=tenant, series="T3")
        answer = await billing.post(f"/internal/invoices/{draft['id']}/finalise", headers=headers(tenant))
        assert answer.json()["number"] == "T3-000001"


async def test_without_the_buyers_siren_finalising_fails_naming_the_french_rule(
    billing: httpx.AsyncClient,
) -> None:
    draft = await _draft(billing, series="T4", buyer={**BUYER, "siren": None})
    answer = await billing.post(f"/internal/invoices/{draft['id']}/finalise", headers=headers(TENANT))
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == "facturx_rejected"
    assert "BR-FR-11_BT-47" in problem["rules"]
    assert "BR-FR-11" in problem["detail"]
    # Nothing was issued, no number was taken: the next invoice of the series is the first.
    still = await billing.get(f"/internal/invoices/{draft['id']}", headers=headers(TENANT))
    assert still.json()["status"] == "draft"
    other = await _draft(billing, series="T4")
    numbered = await billing.post(f"/internal/invoices/{other['id']}/finalise", headers=headers(TENANT))
    assert numbered.json()["number"] == "T4-000001"


async def test_an_issued_invoice_is_never_changed_but_corrected_by_a_credit_note(
    billing: httpx.AsyncClient,
) -> None:
    draft = await _draft(billing, series="T5")
    issued = (
        await billing.post(f"/internal/invoices/{draft['id']}/finalise", headers=headers(TENANT))
    ).json()
    body = invoice_body()
    changed = await billing.put(
        f"/internal/invoices/{draft['id']}",
        json={k: body[k] for k in ("buyer", "lines", "payment_terms")},
        headers=headers(TENANT),
    )
    assert changed.status_code == 409
    assert changed.json()["code"] == "invoice_already_issued"
    credit = invoice_body(series="AV5", corrects=draft["id"], lines=[body["lines"][0]])
    answer = await billing.post("/internal/credit_notes", json=credit, headers=headers(TENANT))
    assert answer.status_code == 201, answer.text
    note = answer.json()
    finalised = await billing.post(f"/internal/invoices/{note['id']}/finalise", headers=headers(TENANT))
    assert finalised.status_code == 200, finalised.text
    assert finalised.json()["object"] == "credit_note"
    assert finalised.json()["number"] == "AV5-000001"
    xml = (await billing.get(f"/internal/invoices/{note['id']}.xml", headers=headers(TENANT))).content
    assert b"<ram:TypeCode>381</ram:TypeCode>" in xml
    assert issued["number"].encode() in xml
    too_much = invoice_body(series="AV5", corrects=draft["id"])
    refused = await billing.post("/internal/credit_notes", json=too_much, headers=headers(TENANT))
    assert refused.status_code == 409
    assert refused.json()["code"] == "credit_note_refused"


async def test_bad_input_is_a_400_naming_the_field(billing: httpx.AsyncClient) -> None:
    answer = await billing.post(
        "/internal/invoices", json=invoice_body(payment_terms={"days": 61}), headers=headers(TENANT)
    )
    assert answer.status_code == 400
    assert answer.json()["param"] == "body.payment_terms.days"


async def test_two_credit_notes_that_each_fit_but_not_both_the_second_is_refused(
    billing: httpx.AsyncClient,
) -> None:
    draft = await _draft(billing, series="T6")
    await billing.post(f"/internal/invoices/{draft['id']}/finalise", headers=headers(TENANT))  # 1,153.82
    design = invoice_body()["lines"][0]  # 2 x 450.00 + 20 % = 1,080.00 each: one fits, not two
    notes = []
    for series in ("AV6", "AW6"):  # different series: the counter lock alone would not serialise them
        answer = await billing.post(
            "/internal/credit_notes",
            json=invoice_body(series=series, corrects=draft["id"], lines=[design]),
            headers=headers(TENANT),
        )
        assert answer.status_code == 201, answer.text
        notes.append(answer.json()["id"])
    first = await billing.post(f"/internal/invoices/{notes[0]}/finalise", headers=headers(TENANT))
    assert first.status_code == 200, first.text
    second = await billing.post(f"/internal/invoices/{notes[1]}/finalise", headers=headers(TENANT))
    assert second.status_code == 409
    assert second.json()["code"] == "credit_note_refused"
    still = await billing.get(f"/internal/invoices/{notes[1]}", headers=headers(TENANT))
    assert still.json()["status"] == "draft"
