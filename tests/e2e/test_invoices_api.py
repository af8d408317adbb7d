"""Invoices through the public API: draft, change with If-Match, finalise (numbered, Factur-X checked), read
the XML and the PDF, list, correct with a credit note; a Factur-X failure is a 422 naming the rule."""

from __future__ import annotations

import uuid
from typing import Any

from facturx.facturx import get_xml_from_pdf

from tests.e2e.deployments import Deployment
from tests.e2e.skeleton import auth

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
DESIGN = {"description": "Scénographie", "quantity": "2", "unit_price_cents": 50000, "vat_percent": "20"}


def draft(**fields: Any) -> dict[str, Any]:
    return {
        "series": "E2E",
        "activity_id": str(uuid.uuid4()),
        "seller": SELLER,
        "buyer": BUYER,
        "lines": [DESIGN],
        "payment_terms": {"days": 45, "end_of_month": True},
        **fields,
    }


async def test_an_invoice_is_drafted_changed_finalised_and_read_as_factur_x(deployment: Deployment) -> None:
    key = await deployment.api_key(f"inv-{deployment.mode}", "invoices:read", "invoices:write")
    made = await deployment.gateway.post("/v1/invoices", json=draft(), headers=auth(key))
    assert made.status_code == 201, made.text
    invoice = made.json()
    assert invoice["status"] == "draft"
    assert invoice["number"] is None

    content = {
        "buyer": BUYER,
        "lines": [DESIGN, {**DESIGN, "vat_percent": "10"}],
        "payment_terms": {"days": 60},
    }
    stale = await deployment.gateway.put(
        f"/v1/invoices/{invoice['id']}", json=content, headers={**auth(key), "If-Match": '"7"'}
    )
    assert stale.status_code == 412
    changed = await deployment.gateway.put(
        f"/v1/invoices/{invoice['id']}", json=content, headers={**auth(key), "If-Match": made.headers["etag"]}
    )
    assert changed.status_code == 200, changed.text

    issued = await deployment.gateway.post(f"/v1/invoices/{invoice['id']}/finalise", headers=auth(key))
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["status"] == "issued"
    assert body["number"] == "E2E-000001"
    assert body["totals"] == {"lines_cents": 200000, "vat_cents": 30000, "total_cents": 230000}
    assert len(body["mentions"]) == 3

    xml = await deployment.gateway.get(f"/v1/invoices/{invoice['id']}.xml", headers=auth(key))
    assert xml.status_code == 200
    assert xml.headers["content-type"].startswith("application/xml")
    assert b"<ram:ID>E2E-000001</ram:ID>" in xml.content
    pdf = await deployment.gateway.get(f"/v1/invoices/{invoice['id']}.pdf", headers=auth(key))
    assert pdf.status_code == 200
    assert get_xml_from_pdf(pdf.content, check_xsd=False)[1] == xml.content

    listed = await deployment.gateway.get("/v1/invoices", params={"series": "E2E"}, headers=auth(key))
    assert [i["number"] for i in listed.json()["data"]] == ["E2E-000001"]

    frozen = await deployment.gateway.put(f"/v1/invoices/{invoice['id']}", json=content, headers=auth(key))
    assert frozen.status_code == 409
    note = await deployment.gateway.post(
        "/v1/credit_notes",
        json=draft(series="E2EAV", corrects=invoice["id"], finalise=True),
        headers=auth(key),
    )
    assert note.status_code == 201, note.text
    assert note.json()["number"] == "E2EAV-000001"
    assert note.json()["object"] == "credit_note"


async def test_finalising_without_the_buyers_siren_is_refused_naming_the_rule(deployment: Deployment) -> None:
    key = await deployment.api_key(f"inv-{deployment.mode}", "invoices:read", "invoices:write")
    answer = await deployment.gateway.post(
        "/v1/invoices",
        json=draft(series="E2EX", buyer={**BUYER, "siren": None}, finalise=True),
        headers=auth(key),
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "BR-FR-11_BT-47" in answer.json()["rules"]
    bad = await deployment.gateway.post(
        "/v1/invoices", json=draft(payment_terms={"days": 90}), headers=auth(key)
    )
    assert bad.status_code == 400
    assert bad.json()["param"] == "body.payment_terms.days"


async def test_a_quote_is_drafted_changed_and_accepted_once(deployment: Deployment) -> None:
    key = await deployment.api_key(f"inv-{deployment.mode}", "invoices:read", "invoices:write")
    body = {k: v for k, v in draft().items() if k not in ("series", "payment_terms")}
    made = await deployment.gateway.post("/v1/quotes", json=body, headers=auth(key))
    assert made.status_code == 201, made.text
    quote = made.json()
    assert quote["status"] == "open"
    changed = await deployment.gateway.put(
        f"/v1/quotes/{quote['id']}",
        json={"buyer": BUYER, "lines": [DESIGN, DESIGN]},
        headers={**auth(key), "If-Match": made.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    assert len(changed.json()["lines"]) == 2
    accepted = await deployment.gateway.post(
        f"/v1/quotes/{quote['id']}/answer", json={"accepted": True}, headers=auth(key)
    )
    assert accepted.json()["status"] == "accepted"
    again = await deployment.gateway.post(
        f"/v1/quotes/{quote['id']}/answer", json={"accepted": False}, headers=auth(key)
    )
    assert again.status_code == 409
    assert again.json()["code"] == "quote_closed"
