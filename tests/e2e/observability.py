"""What the observability tests share: a distributed run with short retries, and a load that exercises it.

The load touches every family of metric the dashboards show: HTTP answers (2xx, 4xx), events appended and
published, consumers handling them, an outbound delivery that fails, inbound webhooks accepted, duplicated
and badly signed, and a poisoned message that ends as a dead letter.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaProducer
from standardwebhooks import Webhook

from gateway.auth.api_keys import create_client
from gateway.config import Settings as GatewaySettings
from gateway.inbound.sealing import Sealer
from gateway.inbound.sources import issue_secret
from services.envelope import Envelope
from services.ids import new_event_id
from tests.e2e.deployments import API_VERSION, Deployment, distributed
from tests.e2e.skeleton import APPLICATION, auth

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


async def poison(bootstrap: str, topic: str = "members.events", tenant: str = "smartfr") -> Envelope:
    """A members.MemberApplied v1 whose data is not one: every consumer of it fails, then dead-letters it."""
    envelope = Envelope(
        event_id=new_event_id(),
        event_type="members.MemberApplied",
        schema_version=1,
        stream_id=f"member-{uuid.uuid4()}",
        stream_version=1,
        occurred_at=datetime.now(UTC),
        tenant=tenant,
        correlation_id=uuid.uuid4(),
        data={"not": "a member application"},
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            topic, envelope.model_dump_json().encode(), key=envelope.stream_id.encode()
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
