"""The ops page in a real browser: Debian's chromium, driven by Playwright, against the embedded back-office.

Given a message contracts' consumer dead-lettered (its envelope is a well-formed members.MemberApplied that
failed earlier, as when the database was away), a webhook delivery that failed, and salary payments (one of
coop-portage's unpaid 8 days after its due date, one of smartfr's due in 3 days), when an operator opens /ops
and enters an API key with the ops scope, then the page shows the services, the dead letter, the payments due
and late per tenant with the late one by payslip id, and the failed delivery, without a console error;
pressing Replay runs the consumer's handler (the member becomes known to contracts) and the dead letter leaves
the page. A screenshot is kept under var/test-artifacts/.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
import pytest_asyncio
import uvicorn
from playwright.async_api import ConsoleMessage, Page, async_playwright, expect

from backoffice.embedded import EmbeddedBackoffice
from schemas.generated.members.member_applied_v1 import MemberAppliedV1
from services.envelope import Envelope
from services.ids import new_event_id
from tests.e2e.deployments import E2E_RATE_LIMIT, Deployment, fresh_database
from tests.e2e.observability import closed_port
from tests.e2e.skeleton import auth, eventually

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "var/test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CONSUMER = "contracts.known-members"
WITHIN = 30.0
PARIS = ZoneInfo("Europe/Paris")  # salaries fall due on Paris days


@dataclass
class Served:
    deployment: Deployment
    url: str


@pytest_asyncio.fixture(scope="module")
async def served(database_url: str) -> AsyncIterator[Served]:
    """The embedded back-office, its gateway served over HTTP on loopback for the browser."""
    async with fresh_database(database_url) as url:
        backoffice = EmbeddedBackoffice(
            url,
            poll_interval=0.2,
            rate_limit_quota=E2E_RATE_LIMIT,
            webhooks_allow_loopback=True,
            webhooks_poll_interval=0.2,
        )
        await backoffice.start()
        port = closed_port()
        server = uvicorn.Server(
            uvicorn.Config(
                backoffice.gateway.app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
            )
        )
        serving = asyncio.create_task(server.serve())
        base = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                await listening(server, serving)
                yield Served(Deployment("embedded", url, client), base)
        finally:
            server.should_exit = True
            await serving
            await backoffice.stop()


async def listening(server: uvicorn.Server, serving: asyncio.Task[None]) -> None:
    """Until uvicorn says it listens; a server that stopped instead fails at once."""
    deadline = asyncio.get_running_loop().time() + WITHIN
    while not server.started:
        if serving.done():
            serving.result()
            raise AssertionError("the gateway's server stopped before listening")
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"the gateway's server not listening after {WITHIN} s")
        await asyncio.sleep(0.05)


async def dead_letter_a_member_application(database_url: str, member_id: uuid.UUID) -> None:
    """What the consumer writes when its retries run out: the envelope, the error, the attempts."""
    applied = MemberAppliedV1(member_id=member_id, person_kind="natural_person", applied_at=datetime.now(UTC))
    envelope = Envelope(
        event_id=new_event_id(),
        event_type="members.MemberApplied",
        schema_version=1,
        stream_id=f"member-{member_id}",
        stream_version=1,
        occurred_at=applied.applied_at,
        tenant="smartfr",
        correlation_id=uuid.uuid4(),
        data=applied.model_dump(mode="json"),
    )
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "contracts"})
    try:
        await conn.execute(
            "INSERT INTO dead_letters (consumer, topic, event_id, envelope, error, attempts)"
            " VALUES ($1, 'members.events', $2, $3::jsonb, $4, 5)",
            CONSUMER,
            envelope.event_id,
            envelope.model_dump_json(),
            "ConnectionDoesNotExistError: connection was closed in the middle of operation",
        )
    finally:
        await conn.close()


async def salary_scheduled(database_url: str, tenant: str, due_on: date) -> uuid.UUID:
    """What payroll's consumer writes when it schedules a salary (payroll_views.record_salary_event)."""
    payslip_id = uuid.uuid4()
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "payroll"})
    try:
        await conn.execute(
            "INSERT INTO salary_payments (tenant, payslip_id, member_id, net_cents, last_day_worked, due_on,"
            " status, version, scheduled_at) VALUES ($1, $2, $3, 10000, $4, $5, 'scheduled', 1, now())",
            tenant,
            payslip_id,
            uuid.uuid4(),
            due_on - timedelta(days=7),
            due_on,
        )
    finally:
        await conn.close()
    return payslip_id


async def a_delivery_fails(served: Served) -> None:
    key = await served.deployment.api_key("smartfr", "members:write", "webhooks:manage")
    gateway = served.deployment.gateway
    endpoint = await gateway.post(
        "/v1/webhook_endpoints",
        json={"url": f"http://127.0.0.1:{closed_port()}/hooks", "event_types": ["member.applied"]},
        headers=auth(key),
    )
    assert endpoint.status_code == 201, endpoint.text
    applied = await gateway.post(
        "/v1/members",
        json={"person_kind": "legal_entity", "display_name": "Ops Test", "category": 2},
        headers=auth(key),
    )
    assert applied.status_code == 201, applied.text


async def open_ops_page(page: Page, url: str, key: str) -> None:
    await page.goto(url + "/ops")
    await page.fill("#key", key)
    await page.click("button[type=submit]")


@pytest.mark.slow
async def test_the_ops_page_shows_a_dead_letter_and_replays_it(served: Served) -> None:
    if shutil.which("chromium") is None:
        pytest.fail("chromium is not installed: scripts/install.sh installs it (apt-get install chromium)")
    member_id = uuid.uuid4()
    await dead_letter_a_member_application(served.deployment.database_url, member_id)
    await a_delivery_fails(served)
    today = datetime.now(PARIS).date()
    late = await salary_scheduled(served.deployment.database_url, "coop-portage", today - timedelta(days=8))
    await salary_scheduled(served.deployment.database_url, "smartfr", today + timedelta(days=3))
    operator = await served.deployment.api_key("smartfr", "ops")
    reader = await served.deployment.api_key("smartfr", "contracts:read")
    known = served.deployment.gateway.get(f"/v1/employees/{member_id}", headers=auth(reader))
    assert (await known).status_code == 404, "not known to contracts before the replay"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    errors: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})

            def on_console(message: ConsoleMessage) -> None:
                if message.type in ("error", "warning"):
                    errors.append(f"{message.type}: {message.text}")

            page.on("console", on_console)
            page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
            await open_ops_page(page, served.url, operator)

            row = page.locator("#dead-letters tbody tr", has_text="members.MemberApplied")
            await expect(row).to_have_count(1, timeout=WITHIN * 1000)
            await expect(row).to_contain_text(CONSUMER)
            await expect(row).to_contain_text("ConnectionDoesNotExistError")
            contracts = page.locator("#services tbody tr", has_text=CONSUMER)
            await expect(contracts).to_contain_text("1")  # its dead letter count
            await expect(page.locator("#services tbody tr[data-service=members]").first).to_contain_text(
                "ready"
            )
            portage = page.locator("#salary-payments tbody tr[data-tenant=coop-portage]")
            await expect(portage).to_have_text(
                re.compile(rf"coop-portage\s*1\s*1\s*{today - timedelta(days=8)}"), timeout=WITHIN * 1000
            )
            smartfr = page.locator("#salary-payments tbody tr[data-tenant=smartfr]")
            await expect(smartfr).to_have_text(re.compile(rf"smartfr\s*1\s*0\s*{today + timedelta(days=3)}"))
            [late_row] = await page.locator("#late-payments tbody tr").all()
            await expect(late_row).to_contain_text(str(late))
            await expect(late_row).to_contain_text("scheduled")
            failure = page.locator("#webhook-failures tbody tr", has_text="smartfr")
            await expect(failure.first).to_be_visible(timeout=WITHIN * 1000)
            await page.screenshot(path=str(ARTIFACTS / "ops-page.png"), full_page=True)

            await row.get_by_role("button", name="Replay").click()
            await expect(row).to_have_count(0, timeout=WITHIN * 1000)
            await expect(page.locator("#dead-letters tbody")).to_contain_text("No dead letter.")
            await page.screenshot(path=str(ARTIFACTS / "ops-page-after-replay.png"), full_page=True)
        finally:
            await browser.close()

    assert errors == [], errors
    # The replay ran contracts' own handler: the member is known there now.
    employee = await eventually(
        lambda: served.deployment.gateway.get(f"/v1/employees/{member_id}", headers=auth(reader)),
        status=200,
        within=WITHIN,
    )
    assert employee.json()["id"] == str(member_id)


async def test_the_ops_api_is_for_operators_only(served: Served) -> None:
    gateway = served.deployment.gateway
    page = await gateway.get("/ops")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert (await gateway.get("/ops/api/overview")).status_code == 401
    without_scope = await served.deployment.api_key("smartfr", "members:read")
    assert (await gateway.get("/ops/api/overview", headers=auth(without_scope))).status_code == 403
    other_tenant = await served.deployment.api_key("alterna", "ops")
    for path in ("/ops/api/dead_letters", "/ops/api/salary_payments"):
        refused = await gateway.get(path, headers=auth(other_tenant))
        assert refused.status_code == 403
        assert refused.json()["code"] == "not_an_operator"
    operator = await served.deployment.api_key("smartfr", "ops")
    unknown = await gateway.post("/ops/api/dead_letters/contracts/999999/replay", headers=auth(operator))
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
