"""Nothing lost at the edge (issue 9, item 6): a 2xx from the gateway means the command or the webhook is
durable. The gateway is SIGKILLed the moment its answer has reached the client (a proxy kills it on the
response); once it is started again the effect is there, and the same request sent again is answered the
same without a second effect (the idempotency key's, the webhook id's record was durable with it)."""

from __future__ import annotations

import json
import signal
import uuid
from datetime import UTC, datetime, timedelta

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
