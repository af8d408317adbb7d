"""billing-svc's creates when the gateway lost their answer (ADR 023), embedded: the integrator's retry with
the same Idempotency-Key runs the request again and names the same thing, created once; another key creates
another. Payments, a client's credit refunded, invoices, credit notes, quotes, expense claims, mandates."""

from __future__ import annotations

import uuid
from typing import Any

from tests.e2e.deployments import Deployment
from tests.e2e.lost_answers import post_twice_with_the_answer_lost
from tests.e2e.skeleton import auth, until
from tests.e2e.test_employers_api import register
from tests.e2e.test_gdc_monthly_invoice import MANDATE
from tests.e2e.test_invoices_api import BUYER, draft
from tests.e2e.test_production_de_projets import SCOPES, account_of, paid_invoice

WITHIN = 30.0
LINE = {"description": "Régie son", "quantity": "1", "unit_price_cents": 100_000, "vat_percent": "20"}


async def _events(deployment: Deployment, stream_id: str, event_type: str) -> int:
    count = await deployment.fetchval(
        "billing",
        "SELECT count(*) FROM events WHERE stream_id = $1 AND event_type = $2",
        stream_id,
        event_type,
    )
    assert isinstance(count, int)
    return count


async def _issued(deployment: Deployment, key: str, **fields: Any) -> dict[str, Any]:
    """An invoice of 1,200.00 VAT included, issued."""
    made = await deployment.gateway.post(
        "/v1/invoices", json=draft(series="LOST", lines=[LINE], finalise=True, **fields), headers=auth(key)
    )
    assert made.status_code == 201, made.text
    invoice: dict[str, Any] = made.json()
    return invoice


def _same(first: Any, retry: Any) -> str:
    """Both answers alike (the retry answers as the first did): the id they name."""
    assert (retry.status_code, retry.json()["id"]) == (first.status_code, first.json()["id"]), retry.text
    return str(first.json()["id"])


async def test_a_payment_whose_answer_was_lost_is_recorded_once(embedded_deployment: Deployment) -> None:
    deployment = embedded_deployment
    key = await deployment.api_key("smartfr", "invoices:read", "invoices:write")
    invoice = await _issued(deployment, key)
    path = f"/v1/invoices/{invoice['id']}/payments"
    body = {"amount_cents": 50_000, "received_on": invoice["issue_date"], "reference": "VIR 1"}

    first, retry = await post_twice_with_the_answer_lost(deployment, path, body, auth(key))

    payment_id = _same(first, retry)
    assert retry.json() == first.json()
    stream = f"receivable-{invoice['id']}"
    assert await _events(deployment, stream, "PaymentRecorded") == 1
    listed = (await deployment.gateway.get(path, headers=auth(key))).json()
    assert [p["id"] for p in listed] == [payment_id]
    another = await deployment.gateway.post(path, json=body, headers=auth(key))
    assert another.status_code == 201, another.text
    assert another.json()["id"] != payment_id
    assert await _events(deployment, stream, "PaymentRecorded") == 2


async def test_a_refund_whose_answer_was_lost_gives_the_clients_credit_back_once(
    embedded_deployment: Deployment,
) -> None:
    # Given a client with 200.00 of credit (an overpayment of its invoice).
    deployment = embedded_deployment
    key = await deployment.api_key("coop-portage", "invoices:read", "invoices:write")
    siren = "552100554"
    buyer = {**BUYER, "siren": siren, "vat_number": "FR96552100554", "electronic_address": siren}
    invoice = await _issued(deployment, key, buyer=buyer)
    over = await deployment.gateway.post(
        f"/v1/invoices/{invoice['id']}/payments",
        json={"amount_cents": 140_000, "received_on": invoice["issue_date"]},
        headers=auth(key),
    )
    assert over.json()["excess_cents"] == 20_000, over.text

    async def credit() -> int:
        read = await deployment.gateway.get(
            "/v1/client_credits", params={"buyer_siren": siren}, headers=auth(key)
        )
        return sum(c["balance_cents"] for c in read.json())

    # When 150.00 is refunded, the answer lost and the request sent again.
    body = {"buyer_siren": siren, "amount_cents": 15_000, "refunded_on": invoice["issue_date"]}
    first, retry = await post_twice_with_the_answer_lost(
        deployment, "/v1/client_credit_refunds", body, auth(key)
    )

    # Then one refund: 50.00 left, which another refund (another key) takes.
    refund_id = _same(first, retry)
    assert retry.json() == first.json()
    assert first.json()["balance_cents"] == 5_000
    assert await credit() == 5_000
    stream = f"client-credit-{siren}"
    assert await _events(deployment, stream, "ClientCreditRefunded") == 1
    another = await deployment.gateway.post(
        "/v1/client_credit_refunds", json={**body, "amount_cents": 5_000}, headers=auth(key)
    )
    assert (another.status_code, another.json()["balance_cents"]) == (201, 0), another.text
    assert another.json()["id"] != refund_id
    assert await _events(deployment, stream, "ClientCreditRefunded") == 2


async def test_an_invoice_whose_answer_was_lost_is_drafted_and_numbered_once(
    embedded_deployment: Deployment,
) -> None:
    deployment = embedded_deployment
    key = await deployment.api_key("alterna", "invoices:read", "invoices:write")
    body = draft(series="LOSTINV", lines=[LINE], finalise=True)

    first, retry = await post_twice_with_the_answer_lost(deployment, "/v1/invoices", body, auth(key))

    invoice_id = _same(first, retry)
    assert (retry.json()["status"], retry.json()["number"]) == ("issued", first.json()["number"])
    assert await _events(deployment, f"invoice-{invoice_id}", "InvoiceDrafted") == 1

    async def issued_in_series() -> object:
        return await deployment.fetchval(
            "billing", "SELECT count(*) FROM issued_invoices WHERE series = 'LOSTINV'"
        )

    assert await issued_in_series() == 1
    another = await deployment.gateway.post("/v1/invoices", json=body, headers=auth(key))
    assert another.status_code == 201, another.text
    assert another.json()["id"] != invoice_id
    assert await issued_in_series() == 2


async def test_a_credit_note_whose_answer_was_lost_is_issued_once(embedded_deployment: Deployment) -> None:
    deployment = embedded_deployment
    key = await deployment.api_key("alterna", "invoices:read", "invoices:write")
    invoice = await _issued(deployment, key)
    body = draft(series="LOSTAV", corrects=invoice["id"], lines=[{**LINE, "unit_price_cents": 10_000}])
    body["finalise"] = True

    first, retry = await post_twice_with_the_answer_lost(deployment, "/v1/credit_notes", body, auth(key))

    note_id = _same(first, retry)
    assert (retry.json()["object"], retry.json()["number"]) == ("credit_note", first.json()["number"])

    async def credit_notes() -> object:
        return await deployment.fetchval(
            "billing", "SELECT count(*) FROM issued_invoices WHERE corrects = $1", uuid.UUID(invoice["id"])
        )

    assert await credit_notes() == 1
    another = await deployment.gateway.post("/v1/credit_notes", json=body, headers=auth(key))
    assert another.status_code == 201, another.text
    assert another.json()["id"] != note_id
    assert await credit_notes() == 2


async def test_a_quote_whose_answer_was_lost_is_drafted_once(embedded_deployment: Deployment) -> None:
    deployment = embedded_deployment
    key = await deployment.api_key("alterna", "invoices:read", "invoices:write")
    body = {k: v for k, v in draft().items() if k not in ("series", "payment_terms")}

    first, retry = await post_twice_with_the_answer_lost(deployment, "/v1/quotes", body, auth(key))

    quote_id = _same(first, retry)
    assert retry.json() == first.json()
    assert await _events(deployment, f"quote-{quote_id}", "QuoteDrafted") == 1
    another = await deployment.gateway.post("/v1/quotes", json=body, headers=auth(key))
    assert another.status_code == 201, another.text
    assert another.json()["id"] != quote_id


async def test_an_expense_claim_whose_answer_was_lost_debits_the_account_once(
    embedded_deployment: Deployment,
) -> None:
    # Given an activity account holding 900.00 (an invoice paid).
    deployment = embedded_deployment
    key = await deployment.api_key("smartfr", *SCOPES)
    activity_id = str(uuid.uuid4())
    await paid_invoice(deployment, key, activity_id)
    path = f"/v1/activities/{activity_id}/expense-claims"
    receipt = {
        "description": "Train Paris-Lyon",
        "dated": "2026-11-20",
        "amount_cents": 12_000,
        "vat_cents": 1_091,
    }
    body = {"description": "Tournée", "receipts": [receipt]}

    # When a claim of 109.09 excluding VAT is sent, its answer lost, and sent again.
    first, retry = await post_twice_with_the_answer_lost(deployment, path, body, auth(key))

    # Then the account is debited once; another claim (another key) is debited again.
    claim_id = _same(first, retry)
    assert retry.json() == first.json()
    assert first.json()["balance_cents"] == 79_091
    assert (await account_of(deployment, key, activity_id))["balance_cents"] == 79_091
    assert await _events(deployment, f"account-{activity_id}", "ExpenseClaimed") == 1
    another = await deployment.gateway.post(path, json=body, headers=auth(key))
    assert another.status_code == 201, another.text
    assert (another.json()["id"] != claim_id, another.json()["balance_cents"]) == (True, 68_182)


async def test_a_mandate_whose_answer_was_lost_is_signed_once(embedded_deployment: Deployment) -> None:
    # Given an association billing has learnt of (from members-svc's event).
    deployment = embedded_deployment
    key = await deployment.api_key(
        "smartfr", "members:read", "members:write", "invoices:read", "invoices:write"
    )
    association = (await register(deployment, key))["id"]

    async def learnt() -> bool:
        known = await deployment.fetchval(
            "billing", "SELECT count(*) FROM gdc_associations WHERE employer_id = $1", uuid.UUID(association)
        )
        return known == 1

    await until(learnt, within=WITHIN)
    path = f"/v1/employers/{association}/sepa-mandates"

    first, retry = await post_twice_with_the_answer_lost(deployment, path, MANDATE, auth(key))

    # Then one mandate: a second one under its reference (another key) is refused.
    mandate_id = _same(first, retry)
    assert retry.json() == first.json()
    assert await _events(deployment, f"sepa-mandate-{mandate_id}", "SepaMandateSigned") == 1
    another = await deployment.gateway.post(path, json=MANDATE, headers=auth(key))
    assert (another.status_code, another.json()["code"]) == (409, "mandate_reference_taken"), another.text
