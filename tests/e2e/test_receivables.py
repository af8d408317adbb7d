"""Receivables through the public API, in both deployment modes: an unpaid invoice goes through every
dunning step (events and webhook messages) and the guarantee fund, then a late payment goes back to the fund;
a partial payment and an overpayment whose excess, kept as the client's credit, pays another invoice of the
buyer; a client's credit refunded, once for a retried request, never beyond what is left."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.e2e.deployments import Deployment
from tests.e2e.skeleton import auth, eventually, until
from tests.e2e.test_invoices_api import BUYER, draft

WITHIN = 90.0
SCOPES = ("invoices:read", "invoices:write")
TENANT = "smartfr"  # a real tenant: the activity accounts take the fund's coverage at its contribution rate
PARTS = ("notices", "covered")  # of a collection run
LINE = {"description": "Régie son", "quantity": "1", "unit_price_cents": 100_000, "vat_percent": "20"}


async def _issued(deployment: Deployment, key: str, series: str) -> dict[str, Any]:
    made = await deployment.gateway.post(
        "/v1/invoices", json=draft(series=series, lines=[LINE], finalise=True), headers=auth(key)
    )
    assert made.status_code == 201, made.text
    invoice: dict[str, Any] = made.json()
    assert invoice["totals"]["total_cents"] == 120_000
    return invoice


async def test_an_unpaid_invoice_is_dunned_covered_by_the_fund_and_recovered_to_it(
    deployment: Deployment,
) -> None:
    key = await deployment.api_key(TENANT, *SCOPES)
    gateway = deployment.gateway
    invoice = await _issued(deployment, key, "RCV")
    receivable = await eventually(
        lambda: gateway.get(f"/v1/invoices/{invoice['id']}/receivable", headers=auth(key)),
        status=200,
        within=WITHIN,
    )
    assert receivable.json()["status"] == "open"
    due = date.fromisoformat(invoice["due_date"])

    # A run takes every invoice of the tenant, other tests' too: what it did to this one is what counts.
    async def run(days: int) -> dict[str, Any]:
        on = (due + timedelta(days=days)).isoformat()
        answer = await gateway.post("/v1/collection_runs", json={"run_on": on}, headers=auth(key))
        assert answer.status_code == 201, answer.text
        ran: dict[str, Any] = answer.json()
        assert ran["run_on"] == on
        return {part: [x for x in ran[part] if x["invoice_id"] == invoice["id"]] for part in PARTS}

    assert await run(6) == {"notices": [], "covered": []}
    steps = [[n["step"] for n in (await run(days))["notices"]] for days in (7, 30, 30, 60)]
    assert steps == [[1], [2], [], [3]]  # each step once, on its day
    covered = await run(61)
    assert covered["covered"] == [
        {"invoice_id": invoice["id"], "unpaid_cents": 120_000, "amount_excluding_vat_cents": 100_000}
    ]

    read = (await gateway.get(f"/v1/invoices/{invoice['id']}/receivable", headers=auth(key))).json()
    assert read["status"] == "covered"
    notices = read["notices"]
    assert [(n["step"], n["days_late"], n["recovery_indemnity_cents"]) for n in notices] == [
        (1, 7, 4000),
        (2, 30, 4000),
        (3, 60, 4000),
    ]
    assert 0 < notices[0]["interest_cents"] < notices[1]["interest_cents"] < notices[2]["interest_cents"]

    async def fund() -> dict[str, Any]:
        read: dict[str, Any] = (await gateway.get("/v1/guarantee-fund", headers=auth(key))).json()
        return read

    def of_this_invoice(entries: list[dict[str, Any]]) -> list[tuple[str, int]]:
        mine = [e for e in entries if e["invoice_id"] == invoice["id"]]
        return [(e["kind"], e["amount_excluding_vat_cents"]) for e in mine]

    assert of_this_invoice((await fund())["entries"]) == [("covered", -100_000)]

    async def aged_61_to_90() -> int:
        as_of = {"as_of": (due + timedelta(days=85)).isoformat()}  # after the late payment below
        ageing = await gateway.get("/v1/receivables/ageing", params=as_of, headers=auth(key))
        return int({b["bucket"]: b["unpaid_cents"] for b in ageing.json()["buckets"]}["61-90"])

    fund_before, aged_before = await fund(), await aged_61_to_90()
    assert aged_before >= 120_000
    late = await gateway.post(
        f"/v1/invoices/{invoice['id']}/payments",
        json={"amount_cents": 120_000, "received_on": (due + timedelta(days=80)).isoformat()},
        headers=auth(key),
    )
    assert late.status_code == 201, late.text
    assert late.json()["to_guarantee_fund"] is True
    fund_after = await fund()
    # The payment moves this invoice only: its 1,000 EUR back to the fund, its 1,200 EUR out of 61-90 days
    # as of a day after it.
    recovered = fund_after["balance_excluding_vat_cents"] - fund_before["balance_excluding_vat_cents"]
    assert recovered == 100_000
    assert of_this_invoice(fund_after["entries"]) == [("recovered", 100_000), ("covered", -100_000)]
    assert aged_before - await aged_61_to_90() == 120_000

    published = await deployment.fetchval(
        "billing",
        "SELECT string_agg(envelope->>'event_type', ' ' ORDER BY position) FROM outbox"
        " WHERE message_key = $1",
        f"receivable-{invoice['id']}",
    )
    assert published == (
        "billing.DunningNoticeSent billing.DunningNoticeSent billing.DunningNoticeSent "
        "billing.GuaranteeFundCovered billing.GuaranteeFundRecovered"
    )

    async def dunning_webhooks_made() -> bool:  # the gateway's fan-out made one message per notice
        made = await deployment.fetchval(
            "gateway",
            "SELECT count(*) FROM webhook_messages WHERE event_type = 'invoice.dunning_notice_sent'"
            " AND payload::text LIKE '%' || $1 || '%'",
            invoice["id"],
        )
        return made == 3

    await until(dunning_webhooks_made, within=WITHIN)


async def test_a_partial_payment_then_an_overpayment_whose_excess_pays_another_invoice(
    deployment: Deployment,
) -> None:
    key = await deployment.api_key("grandsensemble", *SCOPES)
    gateway = deployment.gateway
    first = await _issued(deployment, key, "RCP")
    second = await _issued(deployment, key, "RCP")
    today = first["issue_date"]

    async def pay(invoice: dict[str, Any], cents: int, **fields: Any) -> dict[str, Any]:
        answer = await gateway.post(
            f"/v1/invoices/{invoice['id']}/payments",
            json={"amount_cents": cents, "received_on": today, **fields},
            headers=auth(key),
        )
        assert answer.status_code == 201, answer.text
        paid: dict[str, Any] = answer.json()
        return paid

    async def credit_left() -> int:  # by difference: the buyer's SIREN is shared with other tests
        read = await gateway.get(
            "/v1/client_credits", params={"buyer_siren": BUYER["siren"]}, headers=auth(key)
        )
        assert read.status_code == 200, read.text
        return sum(int(c["balance_cents"]) for c in read.json())

    before = await credit_left()
    part = await pay(first, 50_000)
    assert (part["allocated_cents"], part["allocated_excluding_vat_cents"], part["excess_cents"]) == (
        50_000,
        41_667,
        0,
    )
    over = await pay(first, 100_000)
    assert (over["allocated_cents"], over["allocated_excluding_vat_cents"], over["excess_cents"]) == (
        70_000,
        58_333,  # the remainder: the two parts sum to the invoice's 1,000.00 excluding VAT
        30_000,
    )
    assert await credit_left() == before + 30_000
    applied = await pay(second, 30_000, source="client_credit")
    assert applied["allocated_cents"] == 30_000
    assert await credit_left() == before

    listed = await gateway.get(f"/v1/invoices/{first['id']}/payments", headers=auth(key))
    assert [p["amount_cents"] for p in listed.json()] == [50_000, 100_000]
    second_read = (await gateway.get(f"/v1/invoices/{second['id']}/receivable", headers=auth(key))).json()
    assert (second_read["paid_cents"], second_read["unpaid_cents"]) == (30_000, 90_000)

    received = await deployment.fetchval(
        "billing",
        "SELECT string_agg((envelope->'data'->>'amount_cents') || '/' ||"
        " (envelope->'data'->>'amount_excluding_vat_cents'), ' ' ORDER BY position) FROM outbox"
        " WHERE message_key = $1 AND envelope->>'event_type' = 'billing.PaymentReceived'",
        f"receivable-{first['id']}",
    )
    assert received == "50000/41667 70000/58333"  # the excess is not in it

    unfinished = await gateway.post("/v1/invoices", json=draft(series="RCP"), headers=auth(key))
    refused = await gateway.post(
        f"/v1/invoices/{unfinished.json()['id']}/payments",
        json={"amount_cents": 1_000, "received_on": today},
        headers=auth(key),
    )
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "payment_refused"
    bad = await gateway.post(
        f"/v1/invoices/{first['id']}/payments",
        json={"amount_cents": 1_000, "received_on": 0},
        headers=auth(key),
    )
    assert bad.status_code == 400
    assert bad.json()["param"] == "body.received_on"


async def test_a_clients_credit_is_refunded_once_and_never_beyond_what_is_left(
    deployment: Deployment,
) -> None:
    # Given a client of this test's own (credits are by SIREN) with 200.00 of credit from an overpayment.
    key = await deployment.api_key("coop-portage", *SCOPES)
    gateway = deployment.gateway
    siren = "552100554"
    buyer = {**BUYER, "siren": siren, "vat_number": "FR96552100554", "electronic_address": siren}
    made = await gateway.post(
        "/v1/invoices", json=draft(series="RCR", buyer=buyer, lines=[LINE], finalise=True), headers=auth(key)
    )
    assert made.status_code == 201, made.text
    invoice = made.json()

    async def credit() -> int:
        read = await gateway.get("/v1/client_credits", params={"buyer_siren": siren}, headers=auth(key))
        return sum(c["balance_cents"] for c in read.json())

    before = await credit()
    over = await gateway.post(
        f"/v1/invoices/{invoice['id']}/payments",
        json={"amount_cents": 140_000, "received_on": invoice["issue_date"]},
        headers=auth(key),
    )
    assert over.json()["excess_cents"] == 20_000, over.text
    assert await credit() == before + 20_000

    # When 150.00 is refunded, and the request retried with its Idempotency-Key: refunded once.
    headers = auth(key)
    body = {"buyer_siren": siren, "amount_cents": 15_000, "refunded_on": invoice["issue_date"]}
    refund = await gateway.post("/v1/client_credit_refunds", json=body, headers=headers)
    assert refund.status_code == 201, refund.text
    assert (refund.json()["amount_cents"], refund.json()["balance_cents"]) == (15_000, before + 5_000)
    again = await gateway.post("/v1/client_credit_refunds", json=body, headers=headers)
    assert (again.status_code, again.headers["idempotent-replayed"]) == (201, "true")
    assert again.json()["id"] == refund.json()["id"]
    assert await credit() == before + 5_000

    # When more than is left is asked: 409 problem+json naming what is available; nothing changes.
    too_much = await gateway.post(
        "/v1/client_credit_refunds", json={**body, "amount_cents": before + 5_001}, headers=auth(key)
    )
    assert too_much.status_code == 409, too_much.text
    assert too_much.headers["content-type"].startswith("application/problem+json")
    assert (too_much.json()["code"], too_much.json()["available_cents"]) == (
        "not_enough_client_credit",
        before + 5_000,
    )
    assert await credit() == before + 5_000
    refunded = await deployment.fetchval(
        "billing",
        "SELECT count(*) FROM outbox WHERE envelope->>'event_type' = 'billing.ClientCreditRefunded'"
        " AND envelope->'data'->>'refund_id' = $1",
        refund.json()["id"],
    )
    assert refunded == 1

    # The client's statement: the overpayment kept, the refund, the credit after each; nothing elsewhere.
    read = await gateway.get(f"/v1/client_credits/{siren}/movements", headers=auth(key))
    assert read.status_code == 200, read.text
    statement = read.json()
    assert statement["balance_cents"] == before + 5_000
    *_, kept, refunded_line = statement["movements"]
    assert (kept["kind"], kept["amount_cents"], kept["invoice_id"]) == ("kept", 20_000, invoice["id"])
    assert (refunded_line["kind"], refunded_line["amount_cents"], refunded_line["refund_id"]) == (
        "refunded",
        -15_000,
        refund.json()["id"],
    )
    assert refunded_line["balance_after_cents"] == statement["balance_cents"]
    elsewhere = await deployment.api_key("alterna", *SCOPES)
    other = await gateway.get(f"/v1/client_credits/{siren}/movements", headers=auth(elsewhere))
    assert (other.status_code, other.json()["movements"], other.json()["balance_cents"]) == (200, [], 0)
    bad = await gateway.get("/v1/client_credits/55210055/movements", headers=auth(key))
    assert bad.status_code == 400
