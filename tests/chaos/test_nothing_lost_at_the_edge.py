"""Nothing lost at the edge (issue 9, item 6): a 2xx from the gateway means the command or the webhook is
durable. The gateway is SIGKILLed the moment its answer has reached the client (a proxy kills it on the
response); once it is started again the effect is there, and the same request sent again is answered the
same without a second effect (the idempotency key's, the webhook id's record was durable with it)."""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from tests.chaos.checks import until
from tests.chaos.cluster import Cluster
from tests.chaos.edge import KillOnAnswer
from tests.chaos.test_faults_under_load import api_key
from tests.e2e.deployments import Deployment
from tests.e2e.test_hires import association, employer, hire, members

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def killed_on_answer(cluster: Cluster, proxy: KillOnAnswer, request: httpx.Request) -> httpx.Response:
    """Send through the armed proxy: the answer, with the gateway dead behind it; then start it again."""
    gateway = cluster.processes["gateway"]
    assert gateway.popen is not None
    kills = proxy.killed
    proxy.armed = True
    async with httpx.AsyncClient(timeout=30) as client:
        answer = await client.send(request)
    assert proxy.killed == kills + 1, "the proxy did not see a whole answer"
    gateway.popen.wait(timeout=30)
    assert gateway.popen.returncode == -signal.SIGKILL
    cluster.spawn("gateway")
    await cluster.until_ready("gateway")
    return answer


@pytest.mark.timeout(1200)
async def test_a_2xx_survives_the_gateway_killed_right_after_answering(cluster: Cluster) -> None:
    def kill() -> None:
        popen = cluster.processes["gateway"].popen
        assert popen is not None
        popen.send_signal(signal.SIGKILL)

    proxy = KillOnAnswer(cluster.processes["gateway"].port, kill)
    await proxy.start()
    url = cluster.database_url
    key = await api_key(url, "members:read", "members:write", "contracts:read")
    try:
        # A command: the member applied is there after the restart, and the retry replays its answer.
        application = {"person_kind": "natural_person", "display_name": "Nour Haddad", "category": 1}
        headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid.uuid4())}
        request = httpx.Request("POST", f"{proxy.url}/v1/members", json=application, headers=headers)
        applied = await killed_on_answer(cluster, proxy, request)
        assert applied.status_code == 201, applied.text
        member_id = applied.json()["id"]
        async with httpx.AsyncClient(base_url=cluster.gateway_url, timeout=30) as gateway:
            read = await gateway.get(f"/v1/members/{member_id}", headers={"Authorization": f"Bearer {key}"})
            assert read.status_code == 200, read.text
            again = await gateway.post("/v1/members", json=application, headers=headers)
            assert (again.status_code, again.json()["id"]) == (201, member_id)
            assert again.headers.get("Idempotent-Replayed") == "true"
            applied_events = await Deployment("distributed", url, gateway).fetchval(
                "members", "SELECT count(*) FROM events WHERE stream_id = $1", f"member-{member_id}"
            )
            assert applied_events == 1

            # A signed webhook: the hire becomes its contract after the restart; a redelivery is answered
            # the same and creates nothing.
            deployment = Deployment("distributed", url, gateway)
            sender = await association(deployment)
            [person] = await members(deployment, key, 1)
            starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
            body = json.dumps({"employer": employer(), "hire": hire("EDGE-1", person, starts_at)}).encode()
            webhook_id = f"msg_{uuid.uuid4().hex}"
            signed = sender.headers(body, webhook_id)
            request = httpx.Request("POST", f"{proxy.url}/v1/webhooks/hires", content=body, headers=signed)
            pushed = await killed_on_answer(cluster, proxy, request)
            assert pushed.status_code == 202, pushed.text
            [acknowledged] = pushed.json()["hires"]
            sender_auth = {"Authorization": f"Bearer {sender.api_key}"}

            async def accepted() -> bool:
                answer = await gateway.get(f"/v1/hires/{acknowledged['id']}", headers=sender_auth)
                return answer.status_code == 200 and answer.json()["status"] == "accepted"

            await until(accepted, within=120, what="the hire acknowledged before the kill becomes a contract")
            redelivered = await gateway.post(
                "/v1/webhooks/hires", content=body, headers=sender.headers(body, webhook_id)
            )
            assert (redelivered.status_code, redelivered.json()) == (202, pushed.json())
            assert redelivered.headers.get("Idempotent-Replayed") == "true"
            hires = await deployment.fetchval(
                "contracts", "SELECT count(*) FROM events WHERE stream_id = $1", f"hire-{acknowledged['id']}"
            )
            assert hires == 1
    finally:
        await proxy.close()


async def member_applications(cluster: Cluster) -> int:
    conn = await asyncpg.connect(cluster.database_url, server_settings={"search_path": "members"})
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM events WHERE stream_id LIKE 'member-%' AND stream_version = 1"
        )
    finally:
        await conn.close()
    return count


@pytest.mark.timeout(600)
async def test_a_create_whose_answer_died_with_the_gateway_is_made_once_by_its_retry(
    cluster: Cluster,
) -> None:
    """The gateway's crash window (ADR 023): members-svc commits an application and answers, and the gateway
    dies before it has the answer (a proxy between them kills it then). The integrator got no answer and
    retries with the same Idempotency-Key once the claim's lease has run out: the request runs again, and
    names the same member instead of applying a second time."""
    gateway = cluster.processes["gateway"]

    def kill() -> None:
        assert gateway.popen is not None
        gateway.popen.send_signal(signal.SIGKILL)

    proxy = KillOnAnswer(cluster.processes["members"].port, kill, before_forwarding=True)
    await proxy.start()
    key = await api_key(cluster.database_url, "members:read", "members:write")
    auth = {"Authorization": f"Bearer {key}"}
    application = {"person_kind": "natural_person", "display_name": "Inès Moreau", "category": 1}
    headers = {**auth, "Idempotency-Key": str(uuid.uuid4())}
    try:
        # Given a gateway that calls members-svc through the proxy, with a one-second lease on its keys,
        gateway.env.update({"GATEWAY_MEMBERS_URL": proxy.url, "GATEWAY_IDEMPOTENCY_LEASE_SECONDS": "1"})
        await cluster.crash_and_restart("gateway")
        before = await member_applications(cluster)

        # when an application is committed by members-svc and the gateway dies before answering,
        proxy.armed = True
        async with httpx.AsyncClient(base_url=cluster.gateway_url, timeout=30) as client:
            with pytest.raises(httpx.TransportError):
                await client.post("/v1/members", json=application, headers=headers)
        assert proxy.killed == 1, "the proxy did not see members-svc's answer"
        assert await member_applications(cluster) == before + 1  # the service did commit
        assert gateway.popen is not None
        await asyncio.to_thread(gateway.popen.wait, 30)
        cluster.spawn("gateway")
        await cluster.until_ready("gateway")

        # then the retry, past the lease, is answered with a member, and it is the only one applied.
        async with httpx.AsyncClient(base_url=cluster.gateway_url, timeout=30) as client:
            retried = await client.post("/v1/members", json=application, headers=headers)
            assert retried.status_code == 201, retried.text
            assert "Idempotent-Replayed" not in retried.headers  # it ran again: nothing was kept
            member_id = retried.json()["id"]
            assert await member_applications(cluster) == before + 1
            read = await client.get(f"/v1/members/{member_id}", headers=auth)
            assert (read.status_code, read.json()["status"]) == (200, "applied")
            replayed = await client.post("/v1/members", json=application, headers=headers)
            assert (replayed.json()["id"], replayed.headers.get("Idempotent-Replayed")) == (member_id, "true")
    finally:
        for name in ("GATEWAY_MEMBERS_URL", "GATEWAY_IDEMPOTENCY_LEASE_SECONDS"):
            gateway.env.pop(name, None)
        await cluster.crash_and_restart("gateway")
        await proxy.close()
