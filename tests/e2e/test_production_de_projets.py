"""Production de projets end to end, through the public API in both modes (distributed: over Kafka):
an invoice of 1,000 € excluding VAT is paid -> the activity account is credited 900 € (10 % contribution) ->
a contract within the budget is reserved by billing and accepted by contracts (its DPAE and signature wait for
that answer: a 409 `budget_reservation_pending` before it) -> work, completion, payslip ->
the account is debited with the payslip's employer cost; a contract beyond the budget is refused by billing
and cancelled by contracts with the reason.

The payment goes through receivables (`POST /v1/invoices/{id}/payments`), whose `billing.PaymentReceived`
the activity accounts consume.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.deployments import Deployment, in_each_mode_at_once
from tests.e2e.skeleton import auth, until
from tests.e2e.test_contracts_api import EMPLOYEE, PARIS, cddu, employee
from tests.e2e.test_invoices_api import BUYER, SELLER

WITHIN = 90.0
# The within-budget contract starts this long after its draft: billing's answer, then its DPAE, come before.
LEAD = timedelta(seconds=30)
SCOPES = (
    "members:read",
    "members:write",
    "contracts:read",
    "contracts:write",
    "payslips:read",
    "invoices:read",
    "invoices:write",
    "activities:read",
    "activities:write",
)
COOPERATIVE = {
    "id": "1d1b3c2e-8c55-5b5e-9f0e-6a2f7d4c1b01",
    "kind": "cooperative",
    "legal_name": "SmartFr SCIC",
    "siret": "44306184100005",
    "ape_code": "82.11Z",
    "street": "5 rue de la Coopération",
    "postal_code": "75011",
    "city": "Paris",
    "occupational_health_service": "CMB Paris",
}


async def account_of(deployment: Deployment, key: str, activity_id: str) -> dict[str, Any]:
    answer = await deployment.gateway.get(f"/v1/activities/{activity_id}/account", headers=auth(key))
    return dict(answer.json()) if answer.status_code == 200 else {}


async def reservation_answered(deployment: Deployment, key: str, path: str) -> dict[str, Any]:
    """The contract once billing answered its budget reservation (pending until then)."""
    seen: dict[str, Any] = {}

    async def answered() -> bool:
        seen.update((await deployment.gateway.get(path, headers=auth(key))).json())
        return bool(seen["budget_reservation"]["status"] != "pending")

    await until(answered, within=WITHIN)
    return seen


async def paid_invoice(
    deployment: Deployment, key: str, activity_id: str, received_on: str | None = None
) -> dict[str, Any]:
    """1,000 € excluding VAT (1,200 € with 20 % VAT), issued and paid in full (`received_on`, today in Paris
    by default): the account holds 900 €."""
    issued = await deployment.gateway.post(
        "/v1/invoices",
        json={
            "activity_id": activity_id,
            "seller": SELLER,
            "buyer": BUYER,
            "lines": [
                {
                    "description": "Création lumière",
                    "quantity": "1",
                    "unit_price_cents": 100_000,
                    "vat_percent": "20",
                }
            ],
            "finalise": True,
        },
        headers=auth(key),
    )
    assert issued.status_code == 201, issued.text
    invoice = issued.json()
    assert (invoice["totals"]["lines_cents"], invoice["totals"]["total_cents"]) == (100_000, 120_000)
    today = received_on or datetime.now(UTC).astimezone(PARIS).date().isoformat()
    paid = await deployment.gateway.post(
        f"/v1/invoices/{invoice['id']}/payments",
        json={"amount_cents": 120_000, "received_on": today, "reference": "VIR e2e"},
        headers=auth(key),
    )
    assert paid.status_code == 201, paid.text

    seen: dict[str, Any] = {}

    async def credited() -> bool:
        seen.update(await account_of(deployment, key, activity_id))
        return seen.get("balance_cents") == 90_000

    try:
        await until(credited, within=WITHIN)
    except AssertionError as late:
        letters = await deployment.fetchval(
            "billing", "SELECT string_agg(consumer || ': ' || left(error, 300), ' | ') FROM dead_letters"
        )
        raise AssertionError(f"after the payment {paid.json()}: {seen}; dead letters: {letters}") from late
    return dict(invoice)


@pytest.mark.kafka
@pytest.mark.slow
async def test_a_paid_invoice_funds_a_contract_whose_payslip_is_debited_and_one_beyond_budget_is_refused(
    each_mode: list[Deployment],
) -> None:
    await in_each_mode_at_once(funded_contract_and_refused_one, each_mode)


async def funded_contract_and_refused_one(deployment: Deployment) -> None:
    key = await deployment.api_key("smartfr", *SCOPES)
    activity_id = str(uuid.uuid4())
    received_on = datetime.now(UTC).astimezone(PARIS).date().isoformat()
    await paid_invoice(deployment, key, activity_id, received_on)
    account = await account_of(deployment, key, activity_id)
    assert (account["balance_cents"], account["available_cents"]) == (90_000, 90_000)

    member_id = await employee(deployment, key)
    # Beyond the budget: 21 days at 35 h a week, 15 €/h, with employer contributions: about 2,229 €.
    far = datetime.now(UTC) + timedelta(days=2)
    beyond = await deployment.gateway.post(
        "/v1/contracts",
        json=cddu(
            member_id,
            far,
            employer=COOPERATIVE,
            activity_id=activity_id,
            ends_on=(far.astimezone(PARIS).date() + timedelta(days=20)).isoformat(),
        ),
        headers=auth(key),
    )
    assert beyond.status_code == 201, beyond.text
    assert beyond.json()["budget_reservation"]["status"] == "pending"

    # Within it: one day (about 106 €), starting soon, so its minute of work is soon over.
    starts_at = datetime.now(UTC).replace(microsecond=0) + LEAD
    within = await deployment.gateway.post(
        "/v1/contracts",
        json=cddu(
            member_id,
            starts_at,
            employer=COOPERATIVE,
            activity_id=activity_id,
            # the Paris day its minute of work ends (a start at 23:59:45 ends the next day)
            ends_on=(starts_at + timedelta(minutes=1)).astimezone(PARIS).date().isoformat(),
        ),
        headers=auth(key),
    )
    assert within.status_code == 201, within.text
    path = f"/v1/contracts/{within.json()['id']}"
    reserved_cents = within.json()["budget_reservation"]["amount_cents"]
    assert 0 < reserved_cents < 90_000
    # No DPAE nor signature on a budget billing may still refuse: wait for its answer.
    assert (await reservation_answered(deployment, key, path))["budget_reservation"]["status"] == "accepted"
    declared = await deployment.gateway.post(
        f"{path}/hire_declaration", json={"employee": EMPLOYEE}, headers=auth(key)
    )
    assert declared.status_code == 200, declared.text
    signed = await deployment.gateway.post(f"{path}/signature", headers=auth(key))
    assert signed.status_code == 200, signed.text

    contracts: dict[str, dict[str, Any]] = {}

    async def answered() -> bool:
        for name, drafted in (("within", within), ("beyond", beyond)):
            read = await deployment.gateway.get(f"/v1/contracts/{drafted.json()['id']}", headers=auth(key))
            contracts[name] = read.json()
        return all(c["budget_reservation"]["status"] != "pending" for c in contracts.values())

    await until(answered, within=WITHIN)
    assert contracts["within"]["budget_reservation"]["status"] == "accepted"
    assert contracts["within"]["status"] == "signed"
    assert contracts["beyond"]["budget_reservation"]["status"] == "refused"
    assert contracts["beyond"]["status"] == "cancelled"
    assert contracts["beyond"]["cancel_reason"].startswith("activity_budget:")
    account = await account_of(deployment, key, activity_id)
    assert (account["reserved_cents"], account["available_cents"]) == (
        reserved_cents,
        90_000 - reserved_cents,
    )

    work = {
        "periods": [
            {"starts_at": starts_at.isoformat(), "ends_at": (starts_at + timedelta(minutes=1)).isoformat()}
        ]
    }

    async def work_reported() -> bool:
        answer = await deployment.gateway.post(f"{path}/work_reports", json=work, headers=auth(key))
        return answer.status_code == 200

    await until(work_reported, within=WITHIN + LEAD.total_seconds())
    done = await deployment.gateway.post(
        f"{path}/completion",
        json={"completed_on": (starts_at + timedelta(minutes=1)).astimezone(PARIS).date().isoformat()},
        headers=auth(key),
    )
    assert done.status_code == 200, done.text

    payslips: list[dict[str, Any]] = []

    async def debited() -> bool:
        listed = await deployment.gateway.get(
            "/v1/payslips", params={"contract_id": within.json()["id"]}, headers=auth(key)
        )
        payslips[:] = listed.json()["data"] if listed.status_code == 200 else []
        balance = (await account_of(deployment, key, activity_id)).get("balance_cents")
        return len(payslips) == 1 and balance != 90_000

    await until(debited, within=WITHIN)
    cost = payslips[0]["employer_cost_cents"]
    account = await account_of(deployment, key, activity_id)
    assert (account["balance_cents"], account["reserved_cents"], account["available_cents"]) == (
        90_000 - cost,
        0,
        90_000 - cost,
    )
    entries = await deployment.gateway.get(f"/v1/activities/{activity_id}/account/entries", headers=auth(key))
    assert entries.status_code == 200, entries.text
    assert [(e["debit_account"], e["credit_account"], e["amount_cents"]) for e in entries.json()["data"]] == [
        ("bank", "activity", 100_000),
        ("activity", "contribution_income", 10_000),
        ("activity", "salaries_payable", cost),
    ]
    month = received_on[:7]  # the payment's month, whatever the clock says now
    statement = await deployment.gateway.get(
        f"/v1/activities/{activity_id}/statement", params={"month": month}, headers=auth(key)
    )
    assert statement.status_code == 200, statement.text
    [payment_line] = [line for line in statement.json()["lines"] if line["kind"] == "payment"]
    assert (
        payment_line["amount_excluding_vat_cents"],
        payment_line["contribution_rate"],
        payment_line["contribution_cents"],
        payment_line["amount_cents"],
    ) == (100_000, "0.10", 10_000, 90_000)


async def test_expense_claims_debit_the_account_and_another_tenant_sees_nothing(
    deployment: Deployment,
) -> None:
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
    claimed = await deployment.gateway.post(
        path, json={"description": "Tournée", "receipts": [receipt]}, headers=auth(key)
    )
    assert claimed.status_code == 201, claimed.text
    assert (claimed.json()["debited_cents"], claimed.json()["balance_cents"]) == (10_909, 79_091)
    bad = await deployment.gateway.post(
        path,
        json={"description": "Tournée", "receipts": [{**receipt, "vat_cents": 12_000}]},
        headers=auth(key),
    )
    assert bad.status_code == 400, bad.text
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert "receipts" in bad.json()["param"]
    too_much = await deployment.gateway.post(
        path,
        json={
            "description": "Matériel",
            "receipts": [{**receipt, "amount_cents": 10_000_000, "vat_cents": 0}],
        },
        headers=auth(key),
    )
    assert (too_much.status_code, too_much.json()["code"]) == (422, "activity_budget_exceeded"), too_much.text
    assert (await account_of(deployment, key, activity_id))["balance_cents"] == 79_091

    # Every operation of the account: another tenant's 404, no credential's 401, no scope's 403.
    base = f"/v1/activities/{activity_id}"
    calls = [
        ("GET", f"{base}/account", None, None),
        ("GET", f"{base}/account/entries", None, None),
        ("GET", f"{base}/statement", {"month": "2026-11"}, None),
        ("POST", path, None, {"description": "x", "receipts": [receipt]}),
    ]
    other = await deployment.api_key("alterna", "activities:read", "activities:write")
    no_scope = await deployment.api_key("smartfr", "invoices:read")
    for method, url, params, body in calls:
        statuses = []
        for headers in (auth(other), {}, auth(no_scope)):
            answer = await deployment.gateway.request(method, url, params=params, json=body, headers=headers)
            assert answer.headers["content-type"].startswith("application/problem+json"), answer.text
            statuses.append(answer.status_code)
        assert statuses == [404, 401, 403], (method, url, statuses)
    assert (await account_of(deployment, key, activity_id))["balance_cents"] == 79_091
