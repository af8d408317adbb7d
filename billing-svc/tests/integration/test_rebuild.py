"""billing-svc's read models rebuilt from zero by replaying its own events (ADR 028, inline projection):
given a history in one tenant (invoices, a credit note, payments partial and over, the client's credit kept,
applied and refunded, dunning, the guarantee fund's cover and recovery, an activity account credited, reserved
on and debited, an expense claim, two GDC months collected under a mandate then revoked), the tables reset and
replayed hold exactly the rows the commands wrote, and the tables kept are not touched."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
import pytest_asyncio

from billing_svc.entrypoints.definition import definition
from billing_svc.read_models.billing_projection import REBUILT
from services.envelope import Envelope
from services.eventstore.types import LogPosition
from services.internal_token import Caller, issue
from services.log_reader import save_checkpoint
from services.projection import ProjectionRunner, checkpoint_name
from services.settings import DEV_INTERNAL_TOKEN_SECRET

from .gdc_support import (
    TENANT,
    Payslip,
    Running,
    producer_outbox,
    publish_payslips,
    register_association,
    running_billing,
)
from .gdc_support import signed_mandate as sign_mandate
from .support import invoice_body
from .test_accounts_ledger import payslip, reservation

KEPT = (
    "invoice_counters",
    "direct_debits",
    "gdc_associations",
    "gdc_payslips",
    "contract_activities",
    "gdc_scheduled_runs",
)
SCOPES = frozenset({"invoices:read", "invoices:write", "activities:read", "activities:write"})
ONE_LINE = [
    {"description": "Scénographie", "quantity": "1", "unit_price_cents": 100_000, "vat_percent": "20"}
]
WITHIN = 60.0


def headers() -> dict[str, str]:
    token = issue(
        DEV_INTERNAL_TOKEN_SECRET, Caller(TENANT, "tests", SCOPES), audience="billing", ttl_seconds=3600
    )
    return {"Authorization": f"Bearer {token}"}


@pytest_asyncio.fixture
async def billing(database_url: str) -> Any:
    async with running_billing(database_url) as running:
        # contracts' outbox too: the accounts' consumer reads its topic with billing's own (a restart later).
        await producer_outbox(running.url, "contracts")
        yield running


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any], status: int = 201) -> Any:
    answer = await client.post(path, json=body, headers=headers())
    assert answer.status_code == status, answer.text
    return answer.json()


async def _deliver(running: Running, event_type: str, data: dict[str, Any]) -> None:
    """Another service's event handed to the accounts' handler in a transaction, as its consumer does."""
    envelope = Envelope(
        event_id=uuid4(),
        event_type=event_type,
        schema_version=1,
        stream_id=f"test-{uuid4()}",
        stream_version=1,
        occurred_at=datetime.now(UTC),
        tenant=TENANT,
        correlation_id=uuid4(),
        data=data,
    )
    async with running.service.resources.pool.acquire() as conn, conn.transaction():
        await running.service.accounts.on_event(conn, envelope)


async def _count(running: Running, query: str, *args: object) -> int:
    return int(await running.service.resources.pool.fetchval(query, *args))


async def _until(running: Running, expected: int, query: str, *args: object) -> None:
    deadline = asyncio.get_running_loop().time() + WITHIN
    while (found := await _count(running, query, *args)) != expected:
        assert asyncio.get_running_loop().time() < deadline, f"{query}: {found}, not {expected}"
        await asyncio.sleep(0.05)


async def a_history(running: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    client, activity = running.client, uuid4()

    # GDC: October collected (FRST) before the mandate's revocation, November's (RCUR) withdrawn by it.
    association = await register_association(running, "40483304800022", "Compagnie Rejouée")
    mandate = (await sign_mandate(running, association, "GDC-REBUILD-1"))["id"]
    await publish_payslips(running, [Payslip(association, "2026-10", 180_000, 250_000)])
    with monkeypatch.context() as clock:
        clock.setattr("billing_svc.invoices.paris_today", lambda now: date(2026, 11, 1))
        await _post(client, "/internal/gdc/monthly-invoices", {"run_on": "2026-11-01"}, 200)
    await publish_payslips(running, [Payslip(association, "2026-11", 190_000, 260_000)])
    await _post(client, "/internal/gdc/monthly-invoices", {"run_on": "2026-12-01"}, 200)
    revocation = f"/internal/employers/{association}/sepa-mandates/{mandate}/revocation"
    await _post(client, revocation, {"revoked_on": "2026-11-20"}, 200)

    # An activity's invoices: one paid in part then beyond (the excess kept as the client's credit), one
    # lowered by a credit note and paid with that credit, one dunned, covered by the fund, paid late.
    def issue_body(**fields: Any) -> dict[str, Any]:
        return invoice_body("RB", activity_id=str(activity), finalise=True, **{"lines": ONE_LINE, **fields})

    first = await _post(client, "/internal/invoices", issue_body())
    second = await _post(client, "/internal/invoices", issue_body())
    third = await _post(client, "/internal/invoices", issue_body())
    today, siren = first["issue_date"], first["buyer"]["siren"]
    for cents in (33_333, 100_000):
        await _post(
            client,
            f"/internal/invoices/{first['id']}/payments",
            {"amount_cents": cents, "received_on": today},
        )
    note = issue_body(lines=[{**ONE_LINE[0], "unit_price_cents": 25_000}], corrects=second["id"])
    await _post(client, "/internal/credit_notes", {**note, "series": "RBAV"})
    await _until(running, 1, "SELECT count(*) FROM receivable_entries WHERE kind = 'credit_note'")
    paid_with_credit = {"amount_cents": 8_333, "received_on": today, "source": "client_credit"}
    await _post(client, f"/internal/invoices/{second['id']}/payments", paid_with_credit)
    refund = {"buyer_siren": siren, "amount_cents": 5_000, "refunded_on": today, "reference": "VIR REMB 1"}
    await _post(client, "/internal/client_credit_refunds", refund)
    due = date.fromisoformat(third["due_date"])
    await _until(running, 5, "SELECT count(*) FROM receivables")  # the 3 and the 2 GDC invoices
    for days in (7, 8, 30, 60, 61):
        await _post(client, "/internal/collection_runs", {"run_on": (due + timedelta(days=days)).isoformat()})
    late = {"amount_cents": 120_000, "received_on": (due + timedelta(days=80)).isoformat()}
    await _post(client, f"/internal/invoices/{third['id']}/payments", late)

    # The account: credited by the payments and the fund, a contract's reservation, its payslip, a claim.
    # 3 payments, 2 covers (the second and third invoices, unpaid 60 days after their due date), 1 recovery.
    await _until(running, 6, "SELECT count(*) FROM account_movements WHERE activity_id = $1", activity)
    contract = uuid4()
    await _deliver(running, "contracts.BudgetReservationRequested", reservation(activity, contract, 30_000))
    await _deliver(running, "payroll.PayslipIssued", payslip(contract, 28_000))
    receipt = {
        "description": "Train Paris-Lyon",
        "dated": "2026-11-20",
        "amount_cents": 12_000,
        "vat_cents": 1_091,
    }
    claim = {"description": "Tournée", "receipts": [receipt]}
    await _post(client, f"/internal/activities/{activity}/expense-claims", claim)
    await _until(running, 8, "SELECT count(*) FROM account_movements WHERE activity_id = $1", activity)


async def tables(running: Running) -> dict[str, list[str]]:
    """Every row of each table, whole (as JSON), in order."""
    async with running.service.resources.pool.acquire() as conn:
        return {
            table: sorted(
                await conn.fetchval(f"SELECT coalesce(array_agg(to_jsonb(t)::text), '{{}}') FROM {table} t")
            )
            for table in (*REBUILT, *KEPT)
        }


async def settled(running: Running) -> dict[str, list[str]]:
    """The tables once the consumers have nothing left to do (the same twice, a second apart)."""
    before = await tables(running)
    while True:
        await asyncio.sleep(1)
        now = await tables(running)
        if now == before:
            return now
        before = now


async def test_the_read_models_rebuilt_from_billings_events_hold_the_rows_its_commands_wrote(
    billing: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    await a_history(billing, monkeypatch)
    written = await settled(billing)
    empty = [table for table in (*REBUILT, *KEPT) if not written[table] and table != "gdc_scheduled_runs"]
    assert empty == [], "the history leaves rows in every table"
    assert any('"withdrawal_reason": "mandate_revoked"' in row for row in written["direct_debits"])
    assert {'"step": 3' in row for row in written["dunning_notices"]} == {False, True}
    service, resources = billing.service, billing.service.resources
    projections = definition().rebuildable(service)
    assert [p.name for p in projections] == ["billing-views"]
    assert list(definition().projections(service)) == []  # inline: not run live beside the commands
    runner = ProjectionRunner(resources.pool, projections, schema=resources.settings.db_schema)
    [views] = projections

    replayed = await runner.rebuild(views)

    assert replayed == await _count(billing, "SELECT count(*) FROM events")
    assert await tables(billing) == written  # the kept tables too: not reset, not written
    # Applied once more onto its own rows (what catching up from the start does), each event changes nothing.
    async with resources.pool.acquire() as conn:
        await save_checkpoint(conn, checkpoint_name(views), LogPosition.start())
    assert await runner.catch_up(views) == replayed
    assert await tables(billing) == written
