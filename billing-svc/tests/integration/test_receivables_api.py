"""Receivables through billing-svc's internal API on the real database and its own bus (the PostgreSQL log):
the policy opens a receivable per issued invoice, payments (partial, over, the client's credit applied to
another invoice of the buyer, then refunded), refusals, the dunning steps, the guarantee fund, the ageing,
provision and write-off, and the public events of each."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest_asyncio

from .support import BUYER, fresh_database, headers, in_process, invoice_body

TENANT = "smartfr"
VAT_NUMBERS = {"552100554": "FR96552100554", "123456782": "FR11123456782"}  # buyers of a test's own
ONE_LINE = [
    {"description": "Scénographie", "quantity": "1", "unit_price_cents": 100_000, "vat_percent": "20"}
]


@pytest_asyncio.fixture(scope="module")
async def billing_url(database_url: str) -> AsyncIterator[str]:
    async with fresh_database(database_url) as url:
        yield url


@pytest_asyncio.fixture(scope="module")
async def billing(billing_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with in_process(billing_url) as client:
        yield client


async def _public(url: str, event_type: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(url, server_settings={"search_path": "billing"})
    try:
        rows = await conn.fetch("SELECT envelope FROM outbox ORDER BY position")
    finally:
        await conn.close()
    envelopes = [json.loads(r["envelope"]) for r in rows]
    return [e["data"] for e in envelopes if e["event_type"] == event_type]


async def _issue(
    billing: httpx.AsyncClient, series: str, tenant: str = TENANT, **fields: Any
) -> dict[str, Any]:
    body = invoice_body(series, lines=ONE_LINE, finalise=True, **fields)
    answer = await billing.post("/internal/invoices", json=body, headers=headers(tenant))
    assert answer.status_code == 201, answer.text
    issued: dict[str, Any] = answer.json()
    return issued


async def _receivable(billing: httpx.AsyncClient, invoice_id: str, tenant: str = TENANT) -> dict[str, Any]:
    """The receivable once the policy opened it (polled with a deadline: the bus is asynchronous)."""
    deadline = time.monotonic() + 30
    while True:
        answer = await billing.get(f"/internal/invoices/{invoice_id}/receivable", headers=headers(tenant))
        if answer.status_code == 200:
            found: dict[str, Any] = answer.json()
            return found
        assert answer.status_code == 404, answer.text
        assert time.monotonic() < deadline, "the receivable was never opened"
        await asyncio.sleep(0.05)


async def _pay(
    billing: httpx.AsyncClient, invoice_id: str, cents: int, on: str, **fields: Any
) -> httpx.Response:
    return await billing.post(
        f"/internal/invoices/{invoice_id}/payments",
        json={"amount_cents": cents, "received_on": on, **fields},
        headers=headers(TENANT),
    )


async def test_payments_partial_over_and_the_clients_credit_on_another_invoice(
    billing: httpx.AsyncClient, billing_url: str
) -> None:
    first = await _issue(billing, "R1")
    second = await _issue(billing, "R1")
    assert first["totals"]["total_cents"] == 120_000
    today = first["issue_date"]

    # Paid at once, before or after the policy: the receivable opens either way, once.
    part = await _pay(billing, first["id"], 33_333, today, reference="VIR 1")
    assert part.status_code == 201, part.text
    assert (part.json()["allocated_excluding_vat_cents"], part.json()["excess_cents"]) == (27_778, 0)
    over = await _pay(billing, first["id"], 100_000, today)
    assert over.status_code == 201, over.text
    assert (over.json()["allocated_cents"], over.json()["excess_cents"]) == (86_667, 13_333)
    assert over.json()["allocated_excluding_vat_cents"] == 72_222  # the remainder: 27,778 + 72,222 = 100,000

    receivable = await _receivable(billing, first["id"])
    assert (receivable["status"], receivable["unpaid_cents"]) == ("paid", 0)
    assert [p["amount_cents"] for p in receivable["payments"]] == [33_333, 100_000]
    credit = await billing.get(
        "/internal/client_credits", params={"buyer_siren": first["buyer"]["siren"]}, headers=headers(TENANT)
    )
    assert credit.json()[0]["balance_cents"] == 13_333

    applied = await _pay(billing, second["id"], 13_333, today, source="client_credit")
    assert applied.status_code == 201, applied.text
    too_much = await _pay(billing, second["id"], 1, today, source="client_credit")
    assert too_much.status_code == 409
    assert too_much.json()["code"] == "not_enough_client_credit"
    credit = await billing.get(
        "/internal/client_credits", params={"buyer_siren": first["buyer"]["siren"]}, headers=headers(TENANT)
    )
    assert credit.json()[0]["balance_cents"] == 0

    received = [
        p for p in await _public(billing_url, "billing.PaymentReceived") if p["invoice_id"] == first["id"]
    ]
    assert [p["amount_cents"] for p in received] == [33_333, 86_667]  # the excess is not in it
    assert sum(p["amount_excluding_vat_cents"] for p in received) == 100_000
    assert all(p["activity_id"] == first["activity_id"] for p in received)
    siren = first["buyer"]["siren"]
    kept = [
        k for k in await _public(billing_url, "billing.ClientCreditKept") if k["invoice_id"] == first["id"]
    ]
    assert [(k["source_id"], k["amount_cents"], k["balance_cents"]) for k in kept] == [
        (over.json()["id"], 13_333, 13_333)
    ]
    assert kept[0]["buyer_siren"] == siren
    spent = [
        a
        for a in await _public(billing_url, "billing.ClientCreditApplied")
        if a["invoice_id"] == second["id"]
    ]
    assert [(a["payment_id"], a["amount_cents"], a["balance_cents"]) for a in spent] == [
        (applied.json()["id"], 13_333, 0)
    ]


async def _refund(
    billing: httpx.AsyncClient, siren: str, cents: int, on: str, tenant: str = "coop-portage", **fields: Any
) -> httpx.Response:
    return await billing.post(
        "/internal/client_credit_refunds",
        json={"buyer_siren": siren, "amount_cents": cents, "refunded_on": on, **fields},
        headers=headers(tenant),
    )


async def _overpaid(billing: httpx.AsyncClient, tenant: str, siren: str, cents: int) -> dict[str, Any]:
    """An invoice of 1,200.00 to a buyer of the test's own (credits are by SIREN), paid `cents`."""
    buyer = {**BUYER, "siren": siren, "vat_number": VAT_NUMBERS[siren], "electronic_address": siren}
    issued = await _issue(billing, "R5", tenant=tenant, buyer=buyer)
    over = await billing.post(
        f"/internal/invoices/{issued['id']}/payments",
        json={"amount_cents": cents, "received_on": issued["issue_date"]},
        headers=headers(tenant),
    )
    assert over.json()["excess_cents"] == cents - 120_000, over.text
    return issued


async def test_a_clients_credit_is_refunded_never_beyond_what_is_left(
    billing: httpx.AsyncClient, billing_url: str
) -> None:
    # Given a credit of 300.00 kept from an overpayment.
    siren = "552100554"
    issued = await _overpaid(billing, "coop-portage", siren, 150_000)

    # When part is refunded, then the credit is lower by it, and the refund is published with what is left.
    refund = await _refund(billing, siren, 10_000, issued["issue_date"], reference="VIR REMB 7")
    assert refund.status_code == 201, refund.text
    assert (refund.json()["amount_cents"], refund.json()["balance_cents"]) == (10_000, 20_000)
    credit = await billing.get(
        "/internal/client_credits", params={"buyer_siren": siren}, headers=headers("coop-portage")
    )
    assert credit.json() == [{"buyer_siren": siren, "balance_cents": 20_000}]
    [published] = [
        r for r in await _public(billing_url, "billing.ClientCreditRefunded") if r["buyer_siren"] == siren
    ]
    assert published == {
        "buyer_siren": siren,
        "refund_id": refund.json()["id"],
        "amount_cents": 10_000,
        "refunded_on": issued["issue_date"],
        "balance_cents": 20_000,
        "recorded_at": published["recorded_at"],
    }

    # When more than is left is asked, then 409 naming the amount and what is available; nothing changes.
    too_much = await _refund(billing, siren, 20_001, issued["issue_date"])
    assert too_much.status_code == 409
    assert too_much.headers["content-type"].startswith("application/problem+json")
    assert too_much.json()["code"] == "not_enough_client_credit"
    assert (too_much.json()["param"], too_much.json()["available_cents"]) == ("body.amount_cents", 20_000)
    # Another tenant has no credit for this SIREN; a bad SIREN or amount is a 400 naming the field.
    elsewhere = await billing.post(
        "/internal/client_credit_refunds",
        json={"buyer_siren": siren, "amount_cents": 1, "refunded_on": issued["issue_date"]},
        headers=headers(TENANT),
    )
    assert (elsewhere.status_code, elsewhere.json()["available_cents"]) == (409, 0)
    assert (await _refund(billing, "12345", 1, issued["issue_date"])).status_code == 400
    assert (await _refund(billing, siren, 0, issued["issue_date"])).status_code == 400

    # The rest may be refunded, and then nothing more.
    rest = await _refund(billing, siren, 20_000, issued["issue_date"])
    assert (rest.status_code, rest.json()["balance_cents"]) == (201, 0)
    assert (await _refund(billing, siren, 1, issued["issue_date"])).status_code == 409


async def test_concurrent_refunds_each_publish_the_balance_they_left(
    billing: httpx.AsyncClient, billing_url: str
) -> None:
    # Given 400.00 of credit, when four refunds of 100.00 arrive at once: each is decided on the credit the
    # one before it left (a refund decided on a moved credit is run again), none beyond it.
    siren = "123456782"
    issued = await _overpaid(billing, "coop-portage", siren, 160_000)
    refunds = await asyncio.gather(*(_refund(billing, siren, 10_000, issued["issue_date"]) for _ in range(4)))
    assert [r.status_code for r in refunds] == [201] * 4, [r.text for r in refunds]
    assert sorted(r.json()["balance_cents"] for r in refunds) == [0, 10_000, 20_000, 30_000]
    ids = {r.json()["id"] for r in refunds}
    published = [
        r for r in await _public(billing_url, "billing.ClientCreditRefunded") if r["refund_id"] in ids
    ]
    assert sorted(r["balance_cents"] for r in published) == [0, 10_000, 20_000, 30_000]
    credit = await billing.get(
        "/internal/client_credits", params={"buyer_siren": siren}, headers=headers("coop-portage")
    )
    assert credit.json()[0]["balance_cents"] == 0


async def test_drafts_unknown_invoices_and_bad_input_are_refused(billing: httpx.AsyncClient) -> None:
    draft = await billing.post("/internal/invoices", json=invoice_body("R2"), headers=headers(TENANT))
    refused = await _pay(billing, draft.json()["id"], 1_000, "2026-11-26")
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "payment_refused"
    assert "draft" in refused.json()["detail"]
    issued = await _issue(billing, "R2")
    early = await _pay(billing, issued["id"], 1_000, "2000-01-01")
    assert early.status_code == 400
    assert early.json()["param"] == "body.received_on"
    zero = await _pay(billing, issued["id"], 0, issued["issue_date"])
    assert zero.status_code == 400
    other_tenant = await billing.post(
        f"/internal/invoices/{issued['id']}/payments",
        json={"amount_cents": 1_000, "received_on": issued["issue_date"]},
        headers=headers("alterna"),
    )
    assert other_tenant.status_code == 404


async def test_an_unpaid_invoice_is_dunned_covered_by_the_fund_and_recovered_to_it(
    billing: httpx.AsyncClient, billing_url: str
) -> None:
    issued = await _issue(billing, "R3", tenant="grandsensemble")
    await _receivable(billing, issued["id"], "grandsensemble")
    due = date.fromisoformat(issued["due_date"])
    hdr = headers("grandsensemble")

    async def run(days: int) -> dict[str, Any]:
        answer = await billing.post(
            "/internal/collection_runs",
            json={"run_on": (due + timedelta(days=days)).isoformat()},
            headers=hdr,
        )
        assert answer.status_code == 201, answer.text
        ran: dict[str, Any] = answer.json()
        return ran

    assert (await run(6))["notices"] == []
    steps = []
    for days in (7, 8, 30, 60):
        steps += [(n["step"], n["recovery_indemnity_cents"]) for n in (await run(days))["notices"]]
    assert steps == [(1, 4000), (2, 4000), (3, 4000)]  # each step once, the day after step 1 nothing
    covered = await run(61)
    assert covered["covered"] == [
        {"invoice_id": issued["id"], "unpaid_cents": 120_000, "amount_excluding_vat_cents": 100_000}
    ]
    assert (await run(62))["covered"] == []

    fund = (await billing.get("/internal/guarantee_fund", headers=hdr)).json()
    assert fund["covered_excluding_vat_cents"] == 100_000
    assert fund["balance_excluding_vat_cents"] == -100_000

    ageing = (
        await billing.get(
            "/internal/receivables/ageing",
            params={"as_of": (due + timedelta(days=75)).isoformat()},
            headers=hdr,
        )
    ).json()
    assert {b["bucket"]: b["unpaid_cents"] for b in ageing["buckets"]}["61-90"] == 120_000

    late = await billing.post(
        f"/internal/invoices/{issued['id']}/payments",
        json={"amount_cents": 120_000, "received_on": (due + timedelta(days=80)).isoformat()},
        headers=hdr,
    )
    assert late.status_code == 201, late.text
    assert late.json()["to_guarantee_fund"] is True
    fund = (await billing.get("/internal/guarantee_fund", headers=hdr)).json()
    assert fund["balance_excluding_vat_cents"] == 0
    assert [e["kind"] for e in fund["entries"]] == ["recovered", "covered"]

    notices = [
        n for n in await _public(billing_url, "billing.DunningNoticeSent") if n["invoice_id"] == issued["id"]
    ]
    assert [n["step"] for n in notices] == [1, 2, 3]
    assert notices[0]["interest_cents"] > 0
    assert [p["invoice_id"] for p in await _public(billing_url, "billing.GuaranteeFundCovered")] == [
        issued["id"]
    ]
    recovered = await _public(billing_url, "billing.GuaranteeFundRecovered")
    assert [(r["amount_cents"], r["amount_excluding_vat_cents"]) for r in recovered] == [(120_000, 100_000)]
    assert issued["id"] not in [
        p["invoice_id"] for p in await _public(billing_url, "billing.PaymentReceived")
    ]


async def test_a_credit_note_lowers_the_receivable_and_a_write_off_takes_it_out_of_the_ageing(
    billing: httpx.AsyncClient, billing_url: str
) -> None:
    hdr = headers("alterna")
    issued = await _issue(billing, "R4", tenant="alterna")
    note = invoice_body(
        "R4AV", lines=[{**ONE_LINE[0], "unit_price_cents": 25_000}], corrects=issued["id"], finalise=True
    )
    answer = await billing.post("/internal/credit_notes", json=note, headers=hdr)
    assert answer.status_code == 201, answer.text
    deadline = time.monotonic() + 30
    while (receivable := await _receivable(billing, issued["id"], "alterna"))["owed_cents"] != 90_000:
        assert time.monotonic() < deadline, receivable
        await asyncio.sleep(0.05)
    due = date.fromisoformat(issued["due_date"])
    provisioned = await billing.post(
        f"/internal/invoices/{issued['id']}/doubtful_provision",
        json={"reason": "client in receivership", "on": (due + timedelta(days=40)).isoformat()},
        headers=hdr,
    )
    assert provisioned.status_code == 200, provisioned.text
    assert provisioned.json()["provisioned_on"] is not None
    written = await billing.post(
        f"/internal/invoices/{issued['id']}/write_off",
        json={"reason": "liquidation closed", "on": (due + timedelta(days=100)).isoformat()},
        headers=hdr,
    )
    assert written.json()["status"] == "written_off"
    again = await billing.post(
        f"/internal/invoices/{issued['id']}/write_off",
        json={"reason": "again", "on": (due + timedelta(days=101)).isoformat()},
        headers=hdr,
    )
    assert again.status_code == 409
    no_reason = await billing.post(
        f"/internal/invoices/{issued['id']}/write_off", json={"reason": "", "on": "2026-01-01"}, headers=hdr
    )
    assert no_reason.status_code == 400
    assert no_reason.json()["param"] == "body.reason"

    def unpaid(ageing: dict[str, Any]) -> dict[str, int]:
        return {b["bucket"]: b["unpaid_cents"] for b in ageing["buckets"] if b["unpaid_cents"]}

    async def ageing_on(days: int) -> dict[str, int]:
        on = (due + timedelta(days=days)).isoformat()
        answer = await billing.get("/internal/receivables/ageing", params={"as_of": on}, headers=hdr)
        return unpaid(answer.json())

    assert await ageing_on(-1) == {"not_due": 90_000}
    assert await ageing_on(45) == {"31-60": 90_000}
    assert await ageing_on(99) == {"over_90": 90_000}
    assert await ageing_on(100) == {}  # written off that day

    [provision] = [
        p
        for p in await _public(billing_url, "billing.DoubtfulReceivableProvisioned")
        if p["invoice_id"] == issued["id"]
    ]
    assert (provision["amount_excluding_vat_cents"], provision["provisioned_on"]) == (
        75_000,
        (due + timedelta(days=40)).isoformat(),
    )
    [loss] = [
        w
        for w in await _public(billing_url, "billing.ReceivableWrittenOff")
        if w["invoice_id"] == issued["id"]
    ]
    assert (loss["unpaid_cents"], loss["amount_excluding_vat_cents"], loss["covered_by_guarantee_fund"]) == (
        90_000,
        75_000,
        False,
    )
    assert "reason" not in loss
