"""The GDC monthly run on the real database, billing in process, fed through its real consumers: payslips and
associations published as `payroll.PayslipIssued` / `members.EmployerStructureRegistered` rows of their
producers' outboxes (the embedded bus reads them there).

One invoice per association and month whatever happens: the run repeated, two runs at once, a run that
stopped after closing a month or after drafting its invoice; the pain.008 file of each collection validates,
FRST then RCUR under one mandate; a mandate's revocation withdraws the collections due after it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
from lxml import etree

from billing_svc.domain.gdc import fee_cents
from billing_svc.sepa.direct_debit import NAMESPACE, validate_pain_008

from .gdc_support import (
    FEE,
    TENANT,
    Payslip,
    Running,
    mandate_body,
    publish_payslips,
    register_association,
    running_billing,
    signed_mandate,
    value,
)
from .support import headers


@pytest_asyncio.fixture(scope="module")
async def billing(database_url: str) -> AsyncIterator[Running]:
    async with running_billing(database_url) as running:
        yield running


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
    association = await register_association(billing, "73282932000074", "Les Ateliers du Spectacle")
    await signed_mandate(billing, association, "GDC-ATELIERS-0001")
    november = [Payslip(association, "2026-11", 150_000 + 1_357 * n, 210_000 + 1_911 * n) for n in range(20)]
    # A correction counts by its difference; December waits for its month; an employer billing does not know
    # as an association (a member's activity's payslip) is not GDC.
    correction = Payslip(association, "2026-11", 160_000, 224_000, corrects=november[0].payslip_id)
    december = Payslip(association, "2026-12", 99_000, 139_000)
    stranger = Payslip(uuid4(), "2026-11", 500_000, 700_000)
    await publish_payslips(billing, [*november, correction, december, stranger])

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
    published = await value(
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
    months = await value(billing.url, "SELECT count(*) FROM gdc_months WHERE employer_id = $1", association)
    debits = await value(
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
    registered_at = {"street": "8 place du Théâtre", "postal_code": "59000", "city": "Lille", "country": "FR"}
    closed_only = await register_association(
        billing, "40483304800022", "Compagnie Théâtre du Nord", registered_at
    )
    drafted_only = await register_association(billing, "73282932000074", "Atelier Deux")
    untouched = await register_association(billing, "73282932000074", "Atelier Trois")
    for employer in (closed_only, drafted_only, untouched):
        await publish_payslips(billing, [Payslip(employer, "2027-02", 180_000, 250_000) for _ in range(3)])
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
        issued = await value(
            billing.url, "SELECT count(*) FROM issued_invoices WHERE invoice_id = $1", invoice_id
        )
        months = await value(
            billing.url,
            "SELECT count(*) FROM gdc_months WHERE employer_id = $1 AND month = '2027-02'",
            employer,
        )
        assert (issued, months) == (1, 1)
        assert _of(first, employer)["total_cents"] == 3 * 250_000 + fee_cents(3 * 250_000, FEE)
    assert _of(first, drafted_only)["invoice_id"] == str(month.invoice_id)
    # Without a mandate, the association is named at its registered address (ADR 024).
    read = await billing.client.get(
        f"/internal/invoices/{_of(first, closed_only)['invoice_id']}", headers=headers(TENANT)
    )
    assert read.json()["buyer"]["address"] == registered_at
    numbers = [i["number"] for i in first["invoices"]]
    assert len(set(numbers)) == len(numbers)


async def test_a_mandate_is_refused_with_the_field_named_and_its_reference_used_once(
    billing: Running,
) -> None:
    client = billing.client
    association = await register_association(billing, "40483304800022", "Compagnie Mandats")
    path = f"/internal/employers/{association}/sepa-mandates"
    bad_iban = await client.post(
        path, json=mandate_body("GDC-NORD-1", iban="FR7630004000000002345678984"), headers=headers(TENANT)
    )
    assert (bad_iban.status_code, bad_iban.json()["param"]) == (400, "body.debtor.iban")
    assert bad_iban.headers["content-type"].startswith("application/problem+json")
    ok = await client.post(path, json=mandate_body("GDC-NORD-1"), headers=headers(TENANT))
    assert ok.status_code == 201, ok.text
    assert ok.json()["iban_last4"] == "8983"
    taken = await client.post(path, json=mandate_body("GDC-NORD-1"), headers=headers(TENANT))
    assert (taken.status_code, taken.json()["param"]) == (409, "body.reference")
    unknown = await client.post(
        f"/internal/employers/{uuid4()}/sepa-mandates", json=mandate_body("GDC-X-1"), headers=headers(TENANT)
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


async def test_after_its_mandate_is_revoked_an_association_is_invoiced_without_a_direct_debit(
    billing: Running,
) -> None:
    association = await register_association(billing, "40483304800022", "Compagnie Révoquée")
    mandate = (await signed_mandate(billing, association, "GDC-REVOQUE-1"))["id"]
    client = billing.client
    await publish_payslips(billing, [Payslip(association, "2027-05", 180_000, 250_000)])
    may = _of(await _run(client, "2027-06-01"), association)
    assert may["sequence_type"] == "FRST"

    revocation = f"/internal/employers/{association}/sepa-mandates/{mandate}/revocation"
    revoked = await client.post(revocation, json={"revoked_on": "2026-11-20"}, headers=headers(TENANT))
    assert (revoked.status_code, revoked.json()["revoked_on"]) == (200, "2026-11-20"), revoked.text
    twice = await client.post(revocation, json={"revoked_on": "2026-11-20"}, headers=headers(TENANT))
    assert twice.status_code == 409
    assert twice.headers["content-type"].startswith("application/problem+json")
    assert twice.json()["type"].rsplit("/", 1)[-1] == "mandate_already_revoked"
    for unknown, tenant in ((revocation.replace(mandate, str(uuid4())), TENANT), (revocation, "alterna")):
        answer = await client.post(unknown, json={"revoked_on": "2026-11-20"}, headers=headers(tenant))
        assert (answer.status_code, answer.json()["type"].rsplit("/", 1)[-1]) == (404, "mandate_not_found")
    published = await value(
        billing.url,
        """SELECT jsonb_agg(envelope->'data') FROM outbox
           WHERE envelope->>'event_type' = 'billing.SepaMandateRevoked'
             AND envelope->'data'->>'mandate_id' = $1""",
        mandate,
    )
    [revoked_event] = json.loads(published)  # once: the second revocation was refused
    assert (revoked_event["employer_id"], revoked_event["reference"], revoked_event["revoked_on"]) == (
        str(association),
        "GDC-REVOQUE-1",
        "2026-11-20",
    )

    await publish_payslips(billing, [Payslip(association, "2027-06", 180_000, 250_000)])
    june = _of(await _run(client, "2027-07-01"), association)
    assert (june["direct_debit_id"], june["sequence_type"]) == (None, None)  # paid by transfer
    files = await value(
        billing.url,
        "SELECT count(*) FROM direct_debits WHERE mandate_id = $1 AND invoice_id = $2",
        UUID(mandate),
        UUID(june["invoice_id"]),
    )
    prepared = await value(
        billing.url,
        """SELECT count(*) FROM outbox WHERE envelope->>'event_type' = 'billing.DirectDebitPrepared'
             AND envelope->'data'->>'employer_id' = $1""",
        str(association),
    )
    assert (files, prepared) == (0, 1)  # May's collection only
    # May's collection, due after the revocation, was withdrawn with it: the run repeated answers the same
    # invoice and debit, whose file is not served any more.
    assert _of(await _run(client, "2027-06-01"), association) == may
    gone = await client.get(
        f"/internal/gdc/direct-debits/{may['direct_debit_id']}.xml", headers=headers(TENANT)
    )
    assert (gone.status_code, gone.json()["type"].rsplit("/", 1)[-1]) == (410, "direct_debit_withdrawn")


async def test_a_direct_debit_due_after_the_revocation_is_withdrawn_and_one_due_before_stays_served(
    billing: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = billing.client
    association = await register_association(billing, "40483304800022", "Compagnie Retirée")
    mandate = (await signed_mandate(billing, association, "GDC-RETIRE-1"))["id"]  # signed on 2026-11-02
    # October's invoice issued on 2026-11-01 (the invoicing clock set back): collected on 2026-11-16 (FRST).
    await publish_payslips(billing, [Payslip(association, "2026-10", 180_000, 250_000)])
    with monkeypatch.context() as clock:
        clock.setattr("billing_svc.invoices.paris_today", lambda now: date(2026, 11, 1))
        october = _of(await _run(client, "2026-11-01"), association)
    # November's, issued today: its collection date (today + 15 days) is after the revocation below (RCUR).
    await publish_payslips(billing, [Payslip(association, "2026-11", 190_000, 260_000)])
    november = _of(await _run(client, "2026-12-01"), association)
    assert (october["sequence_type"], november["sequence_type"]) == ("FRST", "RCUR")

    async def collection_date(invoiced: dict[str, Any]) -> date:
        due: date = await value(
            billing.url,
            "SELECT collection_date FROM direct_debits WHERE direct_debit_id = $1",
            UUID(invoiced["direct_debit_id"]),
        )
        return due

    assert await collection_date(october) == date(2026, 11, 16)
    assert await collection_date(november) > date(2026, 11, 20)

    revocation = f"/internal/employers/{association}/sepa-mandates/{mandate}/revocation"
    revoked = await client.post(revocation, json={"revoked_on": "2026-11-20"}, headers=headers(TENANT))
    assert revoked.status_code == 200, revoked.text

    # Due on the 16th, before the revocation: it was presentable, its file is still served.
    kept = await client.get(
        f"/internal/gdc/direct-debits/{october['direct_debit_id']}.xml", headers=headers(TENANT)
    )
    assert kept.status_code == 200, kept.text
    validate_pain_008(kept.content)
    # Due after it: withdrawn, 410 naming the revocation.
    gone = await client.get(
        f"/internal/gdc/direct-debits/{november['direct_debit_id']}.xml", headers=headers(TENANT)
    )
    assert gone.status_code == 410, gone.text
    assert gone.headers["content-type"].startswith("application/problem+json")
    problem = gone.json()
    assert problem["type"].rsplit("/", 1)[-1] == "direct_debit_withdrawn"
    assert "GDC-RETIRE-1" in problem["detail"]
    assert "revoked on 2026-11-20" in problem["detail"]

    marked = await value(
        billing.url,
        """SELECT jsonb_object_agg(direct_debit_id::text,
                      jsonb_build_array(withdrawn_at IS NOT NULL, withdrawal_reason, mandate_revoked_on))
           FROM direct_debits WHERE mandate_id = $1""",
        UUID(mandate),
    )
    assert json.loads(marked) == {
        october["direct_debit_id"]: [False, None, None],
        november["direct_debit_id"]: [True, "mandate_revoked", "2026-11-20"],
    }
    published = await value(
        billing.url,
        """SELECT jsonb_agg(envelope->'data' ORDER BY position) FROM outbox
           WHERE envelope->>'event_type' = 'billing.DirectDebitWithdrawn'
             AND envelope->'data'->>'employer_id' = $1""",
        str(association),
    )
    [withdrawn] = json.loads(published)  # November's only
    assert withdrawn == {
        "direct_debit_id": november["direct_debit_id"],
        "invoice_id": november["invoice_id"],
        "employer_id": str(association),
        "mandate_id": mandate,
        "sequence_type": "RCUR",
        "amount_cents": november["total_cents"],
        "collection_date": (await collection_date(november)).isoformat(),
        "reason": "mandate_revoked",
        "revoked_on": "2026-11-20",
        "withdrawn_at": withdrawn["withdrawn_at"],
    }  # no debtor's account in it
    # The invoice is left unpaid, to its dunning.
    read = await client.get(f"/internal/invoices/{november['invoice_id']}", headers=headers(TENANT))
    assert read.json()["status"] == "issued"
