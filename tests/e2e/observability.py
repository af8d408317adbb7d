"""What the observability tests share: a distributed run with short retries, and a load that exercises it.

The load touches every family of metric the dashboards show: HTTP answers (2xx, 4xx), events appended and
published, consumers handling them, an outbound delivery that fails, inbound webhooks accepted, duplicated
and badly signed, a poisoned message that ends as a dead letter; and the business flow the business
dashboard counts: a signed hire, its minute of work, its completion, the payslip and the salary paid on its
due date by a payment run, and an invoice issued.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from standardwebhooks import Webhook

from gateway.auth.api_keys import create_client
from gateway.config import Settings as GatewaySettings
from gateway.inbound.sealing import Sealer
from gateway.inbound.sources import issue_secret
from payroll_svc.domain.payments import salary_due_on
from services.envelope import Envelope
from services.ids import new_event_id
from tests.e2e.deployments import API_VERSION, Deployment, distributed
from tests.e2e.skeleton import APPLICATION, auth, until
from tests.e2e.test_contracts_api import PARIS, employee
from tests.e2e.test_hires import association, employer, hire
from tests.e2e.test_invoices_api import draft

# A module's run: the processes' start, the flow (START_AHEAD + WORK + its steps), then the test's own polls.
OBSERVED_TIMEOUT = 900
FLOW_WITHIN = 120.0  # seconds for each step of the business flow under the shared machine's load
# A hire is declared before it starts: the contract starts some seconds ahead; work is reported once over.
START_AHEAD = timedelta(seconds=30)  # 5 s was too short on the loaded machine: hire_declaration_late
WORK = timedelta(minutes=1)  # the shortest work a contract counts (minutes)
FLOW_SCOPES = (
    "members:read",
    "members:write",
    "contracts:read",
    "contracts:write",
    "payslips:read",
    "payments:write",
    "invoices:write",
)

# Retries short enough that a poisoned message is dead-lettered within a second; loopback endpoints allowed.
FAST_FAILURES = {
    **{
        f"{name}_CONSUMER_MAX_ATTEMPTS": "2"
        for name in ("MEMBERS", "CONTRACTS", "BILLING", "PAYROLL", "GATEWAY")
    },
    **{
        f"{name}_CONSUMER_RETRY_BASE_DELAY": "0.05"
        for name in ("MEMBERS", "CONTRACTS", "BILLING", "PAYROLL", "GATEWAY")
    },
    "GATEWAY_WEBHOOKS_ALLOW_LOOPBACK": "true",
    "GATEWAY_WEBHOOKS_POLL_INTERVAL": "0.2",
}


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@asynccontextmanager
async def observed_deployment(database_url: str, bootstrap: str, logs: Path) -> AsyncIterator[Deployment]:
    """deployments.distributed with FAST_FAILURES."""
    with environment(FAST_FAILURES):
        async with distributed(database_url, bootstrap, logs) as deployment:
            yield deployment


def closed_port() -> int:
    """A loopback port nobody listens on: a delivery there fails at once (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def inbound_source(deployment: Deployment, tenant: str = "smartfr") -> tuple[str, str]:
    """A partner association's API key and its webhook signing secret."""
    source_id = f"assoc_{uuid.uuid4().hex[:10]}"
    sealer = Sealer(GatewaySettings().secrets_encryption_key.get_secret_value())
    conn = await asyncpg.connect(deployment.database_url, server_settings={"search_path": "gateway"})
    try:
        client = await create_client(
            conn, tenant=tenant, name=source_id, scopes=["webhooks:send"], api_version=API_VERSION
        )
        secret = await issue_secret(
            conn,
            sealer,
            tenant=tenant,
            source_id=source_id,
            client_id=client.client_id,
            now=datetime.now(UTC),
        )
    finally:
        await conn.close()
    return client.api_key, secret


async def push(deployment: Deployment, api_key: str, secret: str, webhook_id: str, body: bytes) -> int:
    at = datetime.now(UTC)
    headers = {
        "Authorization": f"Bearer {api_key}",
        "Content-Type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, body.decode()),
    }
    answer = await deployment.gateway.post("/v1/webhooks/inbound/test.ping", content=body, headers=headers)
    return answer.status_code


async def poison(
    bootstrap: str, topic: str = "members.events", tenant: str = "smartfr", traceparent: str | None = None
) -> Envelope:
    """A members.MemberApplied v1 whose data is not one: every consumer of it fails, then dead-letters it.
    With `traceparent`, it is sent in that trace (in the envelope and the Kafka header, as the relay does)."""
    envelope = Envelope(
        event_id=new_event_id(),
        event_type="members.MemberApplied",
        schema_version=1,
        stream_id=f"member-{uuid.uuid4()}",
        stream_version=1,
        occurred_at=datetime.now(UTC),
        tenant=tenant,
        correlation_id=uuid.uuid4(),
        traceparent=traceparent,
        data={"not": "a member application"},
    )
    headers = [("traceparent", traceparent.encode())] if traceparent else None
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            topic, envelope.model_dump_json().encode(), key=envelope.stream_id.encode(), headers=headers
        )
    finally:
        await producer.stop()
    return envelope


async def generate_load(deployment: Deployment, bootstrap: str) -> Envelope:
    """Runs the load; gives the poisoned message, which ends as a dead letter."""
    gateway = deployment.gateway
    key = await deployment.api_key("smartfr", "members:read", "members:write", "webhooks:manage")
    endpoint = await gateway.post(
        "/v1/webhook_endpoints",
        json={"url": f"http://127.0.0.1:{closed_port()}/hooks", "event_types": ["member.applied"]},
        headers=auth(key),
    )
    assert endpoint.status_code == 201, endpoint.text
    for n in range(5):
        answer = await gateway.post(
            "/v1/members", json={**APPLICATION, "display_name": f"Load {n}"}, headers=auth(key)
        )
        assert answer.status_code == 201, answer.text
        assert (await gateway.get("/v1/members", headers=auth(key))).status_code == 200
    assert (await gateway.get(f"/v1/members/{uuid.uuid4()}", headers=auth(key))).status_code == 404

    source_key, secret = await inbound_source(deployment)
    body = b'{"ping": "load"}'
    assert await push(deployment, source_key, secret, "msg_load_1", body) == 202
    assert await push(deployment, source_key, secret, "msg_load_1", body) == 202  # a duplicate
    assert await push(deployment, source_key, "whsec_" + "A" * 43 + "=", "msg_load_2", body) == 401
    return await poison(bootstrap)


async def business_flow(deployment: Deployment, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """A signed hire pushed by an association, through to its payslip, its salary paid on time, and an
    invoice issued; `headers` go on every request the flow sends (a traceparent, to make it one trace).
    Gives the hire, the contract and the payslip as the API answered them."""
    extra = headers or {}
    gateway = deployment.gateway
    key = await deployment.api_key("smartfr", *FLOW_SCOPES)
    sender = await association(deployment)
    member_id = await employee(deployment, key)
    starts_at = datetime.now(UTC).replace(microsecond=0) + START_AHEAD
    body = json.dumps({"employer": employer(), "hire": hire("OBS-1", member_id, starts_at)}).encode()
    pushed = await gateway.post("/v1/webhooks/hires", content=body, headers={**sender.headers(body), **extra})
    assert pushed.status_code == 202, pushed.text
    [hire_id] = [h["id"] for h in pushed.json()["hires"]]
    found: dict[str, Any] = {}

    async def hire_accepted() -> bool:
        answer = await gateway.get(f"/v1/hires/{hire_id}", headers=auth(sender.api_key))
        found["hire"] = answer.json()
        return answer.status_code == 200

    await until(hire_accepted, within=FLOW_WITHIN)
    assert found["hire"]["status"] == "accepted", found["hire"]
    path = f"/v1/contracts/{found['hire']['contract_id']}"
    work = {"periods": [{"starts_at": starts_at.isoformat(), "ends_at": (starts_at + WORK).isoformat()}]}

    async def work_reported() -> bool:  # refused until the minute is over
        answer = await gateway.post(f"{path}/work_reports", json=work, headers={**auth(key), **extra})
        return answer.status_code == 200

    await until(work_reported, within=FLOW_WITHIN)
    last_day = (starts_at + WORK).astimezone(PARIS).date()  # the work may end past midnight in Paris
    done = await gateway.post(
        f"{path}/completion", json={"completed_on": last_day.isoformat()}, headers={**auth(key), **extra}
    )
    assert done.status_code == 200, done.text
    found["contract"] = done.json()

    async def payslip_issued() -> bool:
        listed = await gateway.get(
            "/v1/payslips", params={"contract_id": found["hire"]["contract_id"]}, headers=auth(key)
        )
        found["payslips"] = listed.json().get("data", [])
        return len(found["payslips"]) == 1

    await until(payslip_issued, within=FLOW_WITHIN)
    found["payslip"] = found["payslips"][0]
    run = await gateway.post(
        "/v1/payment_runs", json={"run_on": salary_due_on(last_day).isoformat()}, headers=auth(key)
    )
    assert run.status_code == 201, run.text
    assert found["payslip"]["id"] in run.json()["paid"]
    invoiced = await gateway.post(
        "/v1/invoices", json=draft(series="OBS", finalise=True), headers={**auth(key), **extra}
    )
    assert invoiced.status_code == 201, invoiced.text
    found["invoice"] = invoiced.json()
    return found
