"""Activity accounts on the real database: the events that move them, the answers to reservations, the API.

Events are handed to the accounts' consumer handler in a transaction, as the consumer runner does (the bus
itself is proven by tests/e2e/test_production_de_projets.py in both modes).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest_asyncio

from billing_svc.accounts import Accounts
from billing_svc.entrypoints.definition import definition
from services.envelope import Envelope
from services.internal_token import Caller, issue
from services.runtime import ServiceRuntime
from services.settings import DEV_INTERNAL_TOKEN_SECRET

from .support import fresh_database, settings

TENANT = "smartfr"
NOW = datetime.now(UTC)


def headers(
    tenant: str = TENANT, scopes: frozenset[str] = frozenset({"activities:read", "activities:write"})
) -> dict[str, str]:
    token = issue(
        DEV_INTERNAL_TOKEN_SECRET, Caller(tenant, "tests", scopes), audience="billing", ttl_seconds=3600
    )
    return {"Authorization": f"Bearer {token}"}


@pytest_asyncio.fixture(scope="module")
async def runtime(database_url: str) -> AsyncIterator[tuple[ServiceRuntime, str]]:
    async with fresh_database(database_url) as url:
        running = ServiceRuntime(definition(), settings(url, schematron_workers=1))
        await running.start(background=False)  # no consumer racing the handler called below
        try:
            yield running, url
        finally:
            await running.stop()


@pytest_asyncio.fixture(scope="module")
async def api(runtime: tuple[ServiceRuntime, str]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=runtime[0].app)
    async with httpx.AsyncClient(transport=transport, base_url="http://billing") as client:
        yield client


async def deliver(
    runtime: ServiceRuntime, event_type: str, data: dict[str, Any], tenant: str = TENANT
) -> None:
    accounts: Accounts = runtime.service.accounts
    envelope = Envelope(
        event_id=uuid4(),
        event_type=event_type,
        schema_version=1,
        stream_id=f"test-{uuid4()}",
        stream_version=1,
        occurred_at=NOW,
        tenant=tenant,
        correlation_id=uuid4(),
        data=data,
    )
    async with runtime.pool.acquire() as conn, conn.transaction():
        await accounts.on_event(conn, envelope)


def payment(activity_id: UUID, excluding_vat: int, received_on: str = "2026-11-20") -> dict[str, Any]:
    return {
        "payment_id": str(uuid4()),
        "invoice_id": str(uuid4()),
        "activity_id": str(activity_id),
        "amount_cents": excluding_vat * 12 // 10,
        "amount_excluding_vat_cents": excluding_vat,
        "received_on": received_on,
        "recorded_at": NOW.isoformat(),
    }


def reservation(activity_id: UUID, contract_id: UUID, amount: int) -> dict[str, Any]:
    return {
        "contract_id": str(contract_id),
        "member_id": str(uuid4()),
        "employer_id": str(uuid4()),
        "employer_is_association": False,
        "contract_type": "cddu",
        "reservation_id": str(contract_id),
        "activity_id": str(activity_id),
        "amount_cents": amount,
        "requested_at": NOW.isoformat(),
    }


def payslip(
    contract_id: UUID, cost: int, issued_at: str = "2026-11-25T17:00:00+00:00", **said: Any
) -> dict[str, Any]:
    """A payslip as payroll published it before it said whether the contract ended (`said` adds it)."""
    return {
        "payslip_id": str(uuid4()),
        "contract_id": str(contract_id),
        "member_id": str(uuid4()),
        "employer_id": str(uuid4()),
        "period": "2026-11",
        "corrects_payslip_id": None,
        **said,
        "lines": [],
        "gross_cents": cost * 3 // 4,
        "net_before_tax_cents": 0,
        "net_taxable_cents": 0,
        "withholding_cents": 0,
        "net_paid_cents": 0,
        "employer_cost_cents": cost,
        "issued_at": issued_at,
    }


async def outbox(url: str, event_type: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(url, server_settings={"search_path": "billing"})
    try:
        rows = await conn.fetch("SELECT envelope FROM outbox ORDER BY position")
    finally:
        await conn.close()
    return [e["data"] for e in (json.loads(r["envelope"]) for r in rows) if e["event_type"] == event_type]


async def test_payment_reservation_payslip_move_the_account_and_answer_contracts(
    runtime: tuple[ServiceRuntime, str], api: httpx.AsyncClient
) -> None:
    service, url = runtime
    activity, within, beyond = uuid4(), uuid4(), uuid4()
    await deliver(service, "billing.PaymentReceived", payment(activity, 100_000))
    read = await api.get(f"/internal/activities/{activity}/account", headers=headers())
    assert read.status_code == 200, read.text
    assert (read.json()["balance_cents"], read.json()["available_cents"]) == (90_000, 90_000)

    await deliver(service, "contracts.BudgetReservationRequested", reservation(activity, within, 80_000))
    await deliver(service, "contracts.BudgetReservationRequested", reservation(activity, beyond, 10_001))
    reserved = [e for e in await outbox(url, "billing.BudgetReserved") if e["activity_id"] == str(activity)]
    refused = [
        e for e in await outbox(url, "billing.BudgetReservationRefused") if e["activity_id"] == str(activity)
    ]
    assert [(e["reservation_id"], e["amount_cents"]) for e in reserved] == [(str(within), 80_000)]
    assert [(e["reservation_id"], e["available_cents"]) for e in refused] == [(str(beyond), 10_000)]
    account = (await api.get(f"/internal/activities/{activity}/account", headers=headers())).json()
    assert (account["balance_cents"], account["reserved_cents"], account["available_cents"]) == (
        90_000,
        80_000,
        10_000,
    )

    # the resent request is the same reservation: answered once
    await deliver(service, "contracts.BudgetReservationRequested", reservation(activity, within, 80_000))
    assert (
        len([e for e in await outbox(url, "billing.BudgetReserved") if e["activity_id"] == str(activity)])
        == 1
    )

    await deliver(service, "payroll.PayslipIssued", payslip(within, 87_912))
    account = (await api.get(f"/internal/activities/{activity}/account", headers=headers())).json()
    assert (account["balance_cents"], account["reserved_cents"], account["available_cents"]) == (
        2_088,
        0,
        2_088,
    )
    [debited] = [
        e for e in await outbox(url, "billing.ActivityAccountDebited") if e["activity_id"] == str(activity)
    ]
    assert (debited["reason"], debited["debited_cents"], debited["balance_cents"]) == (
        "payslip",
        87_912,
        2_088,
    )

    # a payslip of a contract billing never saw reserve (a GDC association's) moves no account
    await deliver(service, "payroll.PayslipIssued", payslip(uuid4(), 50_000))
    entries = (await api.get(f"/internal/activities/{activity}/entries", headers=headers())).json()
    assert sum(e["activity_cents"] for e in entries["data"]) == 2_088 == account["balance_cents"]


async def test_a_months_payslip_keeps_the_rest_reserved_until_the_contracts_last_payslip(
    runtime: tuple[ServiceRuntime, str], api: httpx.AsyncClient
) -> None:
    service, _ = runtime
    activity, contract = uuid4(), uuid4()
    await deliver(service, "billing.PaymentReceived", payment(activity, 100_000))
    await deliver(service, "contracts.BudgetReservationRequested", reservation(activity, contract, 80_000))

    async def account() -> tuple[int, int, int]:
        read = (await api.get(f"/internal/activities/{activity}/account", headers=headers())).json()
        return read["balance_cents"], read["reserved_cents"], read["available_cents"]

    # When a month's close pays 30,000 of the contract, the rest of its plan stays reserved
    await deliver(service, "payroll.PayslipIssued", payslip(contract, 30_000, contract_ended=False))
    assert await account() == (60_000, 50_000, 10_000)
    # and its last payslip releases what it did not need
    await deliver(service, "payroll.PayslipIssued", payslip(contract, 35_000, contract_ended=True))
    assert await account() == (25_000, 0, 25_000)


async def test_a_correction_payslip_with_a_lower_employer_cost_credits_the_difference_back(
    runtime: tuple[ServiceRuntime, str], api: httpx.AsyncClient
) -> None:
    """Given a payslip debited 87,912 cents, when its correction costs 82,912, then the account gets 5,000
    back and billing publishes that credit (ActivityAccountCorrectionCredited), not a debit of 0."""
    service, url = runtime
    activity, contract = uuid4(), uuid4()
    await deliver(service, "billing.PaymentReceived", payment(activity, 100_000))
    await deliver(service, "contracts.BudgetReservationRequested", reservation(activity, contract, 80_000))
    first = payslip(contract, 87_912)
    await deliver(service, "payroll.PayslipIssued", first)
    correction = {
        **payslip(contract, 82_912, "2026-11-27T09:00:00+00:00"),
        "corrects_payslip_id": first["payslip_id"],
    }
    await deliver(service, "payroll.PayslipIssued", correction)

    account = (await api.get(f"/internal/activities/{activity}/account", headers=headers())).json()
    assert account["balance_cents"] == 90_000 - 82_912
    debits = [
        e for e in await outbox(url, "billing.ActivityAccountDebited") if e["activity_id"] == str(activity)
    ]
    assert [(e["payslip_id"], e["debited_cents"]) for e in debits] == [(first["payslip_id"], 87_912)]
    [credit] = [
        e
        for e in await outbox(url, "billing.ActivityAccountCorrectionCredited")
        if e["activity_id"] == str(activity)
    ]
    assert credit == {
        "activity_id": str(activity),
        "payslip_id": correction["payslip_id"],
        "corrects_payslip_id": first["payslip_id"],
        "contract_id": str(contract),
        "employer_cost_cents": 82_912,
        "credited_cents": 5_000,
        "on": "2026-11-27",
        "balance_cents": 7_088,
        "recorded_at": credit["recorded_at"],
    }
    statement = (
        await api.get(
            f"/internal/activities/{activity}/statement", params={"month": "2026-11"}, headers=headers()
        )
    ).json()
    assert [(line["description"], line["amount_cents"]) for line in statement["lines"]][-2:] == [
        ("Payslip 2026-11", -87_912),
        ("Payslip 2026-11 (correction)", 5_000),
    ]


async def test_the_monthly_statement_shows_the_contribution_on_each_payment_line(
    runtime: tuple[ServiceRuntime, str], api: httpx.AsyncClient
) -> None:
    service, _ = runtime
    activity, contract = uuid4(), uuid4()
    await deliver(service, "billing.PaymentReceived", payment(activity, 50_000, received_on="2026-10-31"))
    await deliver(service, "billing.PaymentReceived", payment(activity, 100_000, received_on="2026-11-03"))
    await deliver(service, "contracts.BudgetReservationRequested", reservation(activity, contract, 60_000))
    # issued at 23:30 UTC on the 30th: already 1 December in Paris
    await deliver(service, "payroll.PayslipIssued", payslip(contract, 60_000, "2026-11-30T23:30:00+00:00"))
    await deliver(service, "payroll.PayslipIssued", payslip(contract, 20_000, "2026-11-12T10:00:00+00:00"))
    answer = await api.get(
        f"/internal/activities/{activity}/statement", params={"month": "2026-11"}, headers=headers()
    )
    assert answer.status_code == 200, answer.text
    statement = answer.json()
    assert statement["opening_balance_cents"] == 45_000
    assert [
        (
            line["on"],
            line["kind"],
            line["amount_excluding_vat_cents"],
            line["contribution_cents"],
            line["amount_cents"],
            line["balance_cents"],
        )
        for line in statement["lines"]
    ] == [
        ("2026-11-03", "payment", 100_000, 10_000, 90_000, 135_000),
        ("2026-11-12", "payslip", 20_000, 0, -20_000, 115_000),
    ]
    assert statement["lines"][0]["contribution_rate"] == "0.10"
    assert (
        statement["credited_cents"],
        statement["debited_cents"],
        statement["contribution_cents"],
        statement["closing_balance_cents"],
    ) == (90_000, 20_000, 10_000, 115_000)
    december = (
        await api.get(
            f"/internal/activities/{activity}/statement", params={"month": "2026-12"}, headers=headers()
        )
    ).json()
    assert (december["opening_balance_cents"], december["closing_balance_cents"]) == (115_000, 55_000)


async def test_an_expense_claim_debits_the_account_and_bad_input_is_a_400_naming_the_field(
    runtime: tuple[ServiceRuntime, str], api: httpx.AsyncClient
) -> None:
    service, _ = runtime
    activity = uuid4()
    await deliver(service, "billing.PaymentReceived", payment(activity, 20_000))
    path = f"/internal/activities/{activity}/expense-claims"
    receipt = {
        "description": "Train Paris-Lyon",
        "dated": "2026-11-20",
        "amount_cents": 12_000,
        "vat_cents": 1_091,
    }
    claimed = await api.post(path, json={"description": "Tournée", "receipts": [receipt]}, headers=headers())
    assert claimed.status_code == 201, claimed.text
    assert (claimed.json()["debited_cents"], claimed.json()["balance_cents"]) == (10_909, 7_091)

    bad = await api.post(
        path,
        json={"description": "Tournée", "receipts": [{**receipt, "vat_cents": 12_000}]},
        headers=headers(),
    )
    assert (bad.status_code, bad.json()["param"]) == (400, "body.receipts.0.vat_cents"), bad.text
    beyond = await api.post(path, json={"description": "Tournée", "receipts": [receipt]}, headers=headers())
    assert (beyond.status_code, beyond.json()["code"]) == (422, "activity_budget_exceeded"), beyond.text
    account = (await api.get(f"/internal/activities/{activity}/account", headers=headers())).json()
    assert account["balance_cents"] == 7_091  # nothing appended by the refusals


async def test_another_tenant_does_not_see_the_account_and_pages_follow_the_cursor(
    runtime: tuple[ServiceRuntime, str], api: httpx.AsyncClient
) -> None:
    service, _ = runtime
    activity = uuid4()
    for _ in range(3):
        await deliver(service, "billing.PaymentReceived", payment(activity, 10_000))
    assert (
        await api.get(f"/internal/activities/{activity}/account", headers=headers("alterna"))
    ).status_code == 404
    seen, cursor = [], None
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = (
            await api.get(f"/internal/activities/{activity}/entries", params=params, headers=headers())
        ).json()
        seen += [(e["position"], e["line"]) for e in page["data"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert seen == [(v, line) for v in (1, 2, 3) for line in (1, 2)]
    bad = await api.get(
        f"/internal/activities/{activity}/statement", params={"month": "2026-13"}, headers=headers()
    )
    assert (bad.status_code, bad.json()["param"]) == (400, "query.month"), bad.text


async def test_an_amendments_top_up_joins_its_contracts_reservation_and_its_payslip_settles_both(
    runtime: tuple[ServiceRuntime, str], api: httpx.AsyncClient
) -> None:
    """ADR 026: the top-up of an amendment or renewal names its contract; answered under its own id."""
    service, url = runtime
    activity, contract, top_up, too_much = uuid4(), uuid4(), uuid4(), uuid4()
    await deliver(service, "billing.PaymentReceived", payment(activity, 100_000))
    await deliver(service, "contracts.BudgetReservationRequested", reservation(activity, contract, 60_000))
    raise_ = {**reservation(activity, contract, 25_000), "reservation_id": str(top_up)}
    await deliver(service, "contracts.BudgetReservationRequested", raise_)
    await deliver(service, "contracts.BudgetReservationRequested", raise_)  # resent: answered once
    beyond = {**reservation(activity, contract, 5_001), "reservation_id": str(too_much)}
    await deliver(service, "contracts.BudgetReservationRequested", beyond)

    def answers(events: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
        mine = [e for e in events if e["activity_id"] == str(activity)]
        return [(e["reservation_id"], e["contract_id"], e["amount_cents"]) for e in mine]

    assert answers(await outbox(url, "billing.BudgetReserved")) == [
        (str(contract), str(contract), 60_000),
        (str(top_up), str(contract), 25_000),
    ]
    assert answers(await outbox(url, "billing.BudgetReservationRefused")) == [
        (str(too_much), str(contract), 5_001)
    ]
    account = (await api.get(f"/internal/activities/{activity}/account", headers=headers())).json()
    assert (account["reserved_cents"], account["available_cents"]) == (85_000, 5_000)

    await deliver(service, "payroll.PayslipIssued", payslip(contract, 84_000))
    account = (await api.get(f"/internal/activities/{activity}/account", headers=headers())).json()
    assert (account["balance_cents"], account["reserved_cents"], account["available_cents"]) == (
        6_000,
        0,
        6_000,
    )
