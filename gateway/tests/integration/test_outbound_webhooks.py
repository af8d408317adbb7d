"""Outbound webhooks end to end: a real receiver on loopback verifies every delivery with `standardwebhooks`.

The first tests run the whole embedded back-office (a member applies through the gateway; the public event
crosses the bus; the gateway's worker delivers) with a retry schedule shrunk by a setting. The last ones drive
the worker with an injected clock, to see days of retries without waiting for them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import asyncpg
import httpx
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from backoffice.embedded import EmbeddedBackoffice
from gateway.auth.api_keys import create_client
from gateway.config import Settings as GatewaySettings
from gateway.entrypoints.definition import definition as gateway_definition
from gateway.outbound import urls
from gateway.outbound.deliveries import fan_out
from gateway.outbound.running import secret_box
from gateway.outbound.worker import DeliveryWorker
from services.envelope import Envelope
from services.runtime import ServiceRuntime

API_VERSION = "2026-11-26"
APPLICATION = {"person_kind": "natural_person", "display_name": "Camille Martin", "category": 1}
FAST = {"webhooks_allow_loopback": True, "webhooks_retry_scale": 0.0001, "webhooks_poll_interval": 0.05}


# --- a receiver, as an integrator would write one ---------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    payload: Any  # what Webhook.verify returned; None when the signature did not verify


@dataclass
class Receiver:
    """An HTTP server on a free loopback port, in a thread. Answers each path from its script, then 200."""

    port: int = 0
    secrets: dict[str, str] = field(default_factory=dict)
    scripts: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, path: str, *answers: int | tuple[int, dict[str, str]]) -> None:
        self.scripts[path] = [a if isinstance(a, tuple) else (a, {}) for a in answers]

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [one for one in self.received if one.path == path]

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str]]:
        payload = None
        secret = self.secrets.get(path)
        if secret is not None:
            try:
                payload = Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                payload = None
        with self.lock:
            self.received.append(Received(path, headers, body, payload))
            script = self.scripts.get(path)
            return script.pop(0) if script else (200, {})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, extra = state.handle(self.path, headers, body)
            answer = json.dumps({"status": status}).encode()
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


# --- deployments ------------------------------------------------------------------------------------------


@asynccontextmanager
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    """A database of its own: the schemas have fixed names."""
    name = f"wh_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


@dataclass
class Gateway:
    runtime: ServiceRuntime
    client: httpx.AsyncClient

    @property
    def pool(self) -> asyncpg.Pool:
        return self.runtime.pool

    async def key(self, tenant: str, *scopes: str) -> str:
        async with self.pool.acquire() as conn:
            made = await create_client(
                conn, tenant=tenant, name="test", scopes=list(scopes), api_version=API_VERSION
            )
        return made.api_key

    async def register(self, key: str, url: str, *types: str) -> dict[str, Any]:
        answer = await self.client.post(
            "/v1/webhook_endpoints",
            json={"url": url, "event_types": list(types or ["member.applied"]), "description": "test"},
            headers=auth(key),
        )
        assert answer.status_code == 201, answer.text
        endpoint: dict[str, Any] = answer.json()
        return endpoint


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid.uuid4())}


@pytest.fixture
async def embedded(database_url: str) -> AsyncIterator[tuple[EmbeddedBackoffice, Gateway]]:
    async with fresh_database(database_url) as url:
        backoffice = EmbeddedBackoffice(url, poll_interval=0.1, **FAST)
        await backoffice.start()
        transport = httpx.ASGITransport(app=backoffice.gateway.app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
                yield backoffice, Gateway(backoffice.gateway, client)
        finally:
            await backoffice.stop()


@asynccontextmanager
async def gateway_alone(server_url: str, **settings: Any) -> AsyncIterator[Gateway]:
    """The gateway's app and database with nothing running in the background: the test drives the worker."""
    async with fresh_database(server_url) as url:
        upstream = httpx.AsyncClient(base_url="http://nowhere.invalid")
        runtime = ServiceRuntime(
            gateway_definition(lambda service: upstream), GatewaySettings(database_url=url, **settings)
        )
        await runtime.start(background=False)
        transport = httpx.ASGITransport(app=runtime.app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
                yield Gateway(runtime, client)
        finally:
            await runtime.stop()
            await upstream.aclose()


async def until(condition: Callable[[], Awaitable[bool]], *, within: float = 15) -> None:
    """Polls a condition with a deadline (no sleep stands in for synchronisation)."""
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {within}s")
        await asyncio.sleep(0.02)


async def member_applies(gateway: Gateway, key: str) -> str:
    answer = await gateway.client.post("/v1/members", json=APPLICATION, headers=auth(key))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def settled(gateway: Gateway) -> bool:
    """No delivery is waiting: whatever was to be sent has been."""
    pending = await gateway.pool.fetchval("SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'")
    return bool(pending == 0)


# --- the embedded back-office -----------------------------------------------------------------------------


async def test_a_member_who_applies_is_delivered_once_to_the_subscribed_endpoint_signed_and_thin(
    embedded: tuple[EmbeddedBackoffice, Gateway], receiver: Receiver
) -> None:
    # Given an endpoint subscribed to member.applied
    _, gateway = embedded
    key = await gateway.key("smartfr", "webhooks:manage", "members:write")
    endpoint = await gateway.register(key, receiver.url("/hooks"))
    receiver.secrets["/hooks"] = endpoint["secret"]
    # When a member applies through the gateway
    member_id = await member_applies(gateway, key)
    # Then the receiver gets member.applied once, verified, with ids and nothing personal
    await until(lambda: _has(receiver, "/hooks", 1))
    await until(lambda: settled(gateway))
    [delivery] = receiver.at("/hooks")
    assert delivery.payload is not None, "the signature did not verify"
    assert delivery.payload["type"] == "member.applied"
    assert delivery.payload["data"] == {"object": "member", "id": member_id}
    assert set(delivery.payload) == {"id", "type", "created_at", "data"}
    assert delivery.headers["webhook-id"] == delivery.payload["id"]
    assert b"Camille" not in delivery.body
    attempts = await gateway.client.get(f"/v1/webhook_endpoints/{endpoint['id']}/attempts", headers=auth(key))
    assert [a["status_code"] for a in attempts.json()["data"]] == [200]


async def test_a_receiver_that_fails_three_times_then_succeeds_gets_the_message_once_as_a_success(
    embedded: tuple[EmbeddedBackoffice, Gateway], receiver: Receiver
) -> None:
    # Given a receiver that answers 500, 503, timeout-like 504, then 200
    _, gateway = embedded
    key = await gateway.key("smartfr", "webhooks:manage", "members:write")
    endpoint = await gateway.register(key, receiver.url("/flaky"))
    receiver.secrets["/flaky"] = endpoint["secret"]
    receiver.answer("/flaky", 500, 503, 504)
    # When a member applies
    await member_applies(gateway, key)
    # Then four attempts of the same message are logged, the last a success, and nothing more is sent
    await until(lambda: _has(receiver, "/flaky", 4))
    await until(lambda: settled(gateway))
    received = receiver.at("/flaky")
    assert len(received) == 4
    assert all(one.payload is not None for one in received), "every delivery verifies"
    assert len({one.headers["webhook-id"] for one in received}) == 1
    attempts = await gateway.client.get(f"/v1/webhook_endpoints/{endpoint['id']}/attempts", headers=auth(key))
    assert [(a["status_code"], a["succeeded"]) for a in attempts.json()["data"]] == [
        (200, True),
        (504, False),
        (503, False),
        (500, False),
    ]
    status = await gateway.pool.fetch("SELECT status, attempts FROM webhook_deliveries")
    assert [(r["status"], r["attempts"]) for r in status] == [("succeeded", 4)]


async def test_an_endpoint_that_answers_410_is_disabled_and_the_tenant_told_by_an_event(
    embedded: tuple[EmbeddedBackoffice, Gateway], receiver: Receiver
) -> None:
    _, gateway = embedded
    key = await gateway.key("smartfr", "webhooks:manage", "members:write")
    endpoint = await gateway.register(key, receiver.url("/gone"))
    receiver.answer("/gone", 410)
    await member_applies(gateway, key)

    async def disabled() -> bool:
        answer = await gateway.client.get(f"/v1/webhook_endpoints/{endpoint['id']}", headers=auth(key))
        return answer.json()["enabled"] is False

    await until(disabled)
    read = await gateway.client.get(f"/v1/webhook_endpoints/{endpoint['id']}", headers=auth(key))
    assert read.json()["disabled_reason"] == "gone"
    assert len(receiver.at("/gone")) == 1
    notice = await _disabled_notices(gateway)
    assert [(n["tenant"], n["data"]["endpoint_id"], n["data"]["reason"]) for n in notice] == [
        ("smartfr", endpoint["id"], "gone")
    ]


async def test_a_replay_delivers_a_message_again_by_id_or_by_time_range(
    embedded: tuple[EmbeddedBackoffice, Gateway], receiver: Receiver
) -> None:
    _, gateway = embedded
    key = await gateway.key("smartfr", "webhooks:manage", "members:write")
    endpoint = await gateway.register(key, receiver.url("/replay"))
    receiver.secrets["/replay"] = endpoint["secret"]
    await member_applies(gateway, key)
    await until(lambda: _has(receiver, "/replay", 1))
    message_id = receiver.at("/replay")[0].headers["webhook-id"]
    replay = f"/v1/webhook_endpoints/{endpoint['id']}/replay"

    by_id = await gateway.client.post(replay, json={"message_id": message_id}, headers=auth(key))
    assert by_id.status_code == 202, by_id.text
    assert by_id.json()["enqueued"] == 1
    await until(lambda: _has(receiver, "/replay", 2))

    now = datetime.now(UTC)
    window = {"from": (now - timedelta(hours=1)).isoformat(), "to": (now + timedelta(hours=1)).isoformat()}
    by_range = await gateway.client.post(replay, json=window, headers=auth(key))
    assert by_range.json()["enqueued"] == 1
    await until(lambda: _has(receiver, "/replay", 3))
    empty = {"from": (now - timedelta(days=2)).isoformat(), "to": (now - timedelta(days=1)).isoformat()}
    assert (await gateway.client.post(replay, json=empty, headers=auth(key))).json()["enqueued"] == 0

    received = receiver.at("/replay")
    assert {one.headers["webhook-id"] for one in received} == {message_id}
    assert all(one.payload is not None for one in received)
    unknown = await gateway.client.post(replay, json={"message_id": "msg_" + "f" * 32}, headers=auth(key))
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "webhook_message_not_found"


async def test_tenant_b_never_receives_tenant_as_events_nor_sees_its_endpoints(
    embedded: tuple[EmbeddedBackoffice, Gateway], receiver: Receiver
) -> None:
    # Given an endpoint of smartfr and one of alterna, both for member.applied
    _, gateway = embedded
    a_key = await gateway.key("smartfr", "webhooks:manage", "members:write")
    b_key = await gateway.key("alterna", "webhooks:manage")
    a_endpoint = await gateway.register(a_key, receiver.url("/a"))
    b_endpoint = await gateway.register(b_key, receiver.url("/b"))
    # When a smartfr member applies
    await member_applies(gateway, a_key)
    # Then only smartfr's endpoint gets it, and nothing is left to send to alterna's
    await until(lambda: _has(receiver, "/a", 1))
    await until(lambda: settled(gateway))
    assert receiver.at("/b") == []
    b_deliveries = await gateway.pool.fetchval(
        "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1", b_endpoint["id"]
    )
    assert b_deliveries == 0
    # And alterna's credential finds nothing of smartfr's endpoint
    one = f"/v1/webhook_endpoints/{a_endpoint['id']}"
    calls = [
        gateway.client.get(one, headers=auth(b_key)),
        gateway.client.patch(one, json={"enabled": False}, headers=auth(b_key)),
        gateway.client.get(f"{one}/attempts", headers=auth(b_key)),
        gateway.client.post(f"{one}/replay", json={"message_id": "msg_" + "0" * 32}, headers=auth(b_key)),
        gateway.client.delete(one, headers=auth(b_key)),
    ]
    for answer in await asyncio.gather(*calls):
        assert answer.status_code == 404, answer.text
        assert answer.json()["code"] == "webhook_endpoint_not_found"
    listed = await gateway.client.get("/v1/webhook_endpoints", headers=auth(b_key))
    assert [e["id"] for e in listed.json()["data"]] == [b_endpoint["id"]]


async def _has(receiver: Receiver, path: str, count: int) -> bool:
    return len(receiver.at(path)) >= count


async def _disabled_notices(gateway: Gateway) -> list[dict[str, Any]]:
    rows = await gateway.pool.fetch(
        "SELECT envelope::text FROM outbox WHERE envelope->>'event_type' = 'gateway.WebhookEndpointDisabled'"
    )
    return [json.loads(row[0]) for row in rows]


# --- the API on its own -----------------------------------------------------------------------------------


async def test_an_endpoint_is_registered_read_listed_changed_and_deleted_and_its_secret_shown_once(
    database_url: str, receiver: Receiver
) -> None:
    async with gateway_alone(database_url, **FAST) as gateway:
        key = await gateway.key("smartfr", "webhooks:manage")
        made = [await gateway.register(key, receiver.url(f"/e{n}")) for n in range(3)]
        assert all(one["secret"].startswith("whsec_") for one in made)
        stored = await gateway.pool.fetch("SELECT secret_encrypted FROM webhook_endpoints")
        assert not any(one["secret"].encode() in row[0] for one in made for row in stored)
        assert (
            secret_box(gateway.runtime.settings).open(
                await gateway.pool.fetchval(
                    "SELECT secret_encrypted FROM webhook_endpoints WHERE id = $1", made[0]["id"]
                )
            )
            == made[0]["secret"]
        )

        read = await gateway.client.get(f"/v1/webhook_endpoints/{made[0]['id']}", headers=auth(key))
        assert read.status_code == 200
        assert "secret" not in read.json()

        first = await gateway.client.get("/v1/webhook_endpoints?limit=2", headers=auth(key))
        assert first.json()["has_more"] is True
        cursor = first.json()["next_cursor"]
        second = await gateway.client.get(f"/v1/webhook_endpoints?limit=2&cursor={cursor}", headers=auth(key))
        assert second.json()["has_more"] is False
        ids = [e["id"] for e in first.json()["data"] + second.json()["data"]]
        assert ids == [one["id"] for one in reversed(made)]
        bad_cursor = await gateway.client.get("/v1/webhook_endpoints?cursor=%%%", headers=auth(key))
        assert bad_cursor.status_code == 400

        path = f"/v1/webhook_endpoints/{made[0]['id']}"
        stale = await gateway.client.patch(
            path, json={"description": "x"}, headers={**auth(key), "If-Match": '"999"'}
        )
        assert stale.status_code == 412
        changed = await gateway.client.patch(
            path,
            json={"event_types": ["member.applied", "contract.signed"], "enabled": False},
            headers={**auth(key), "If-Match": read.headers["etag"]},
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["event_types"] == ["contract.signed", "member.applied"]
        assert changed.json()["enabled"] is False
        unknown_type = await gateway.client.patch(
            path, json={"event_types": ["member.eaten"]}, headers=auth(key)
        )
        assert unknown_type.status_code == 400

        assert (await gateway.client.delete(path, headers=auth(key))).status_code == 204
        assert (await gateway.client.get(path, headers=auth(key))).status_code == 404

        reader = await gateway.key("smartfr", "members:read")
        forbidden = await gateway.client.get("/v1/webhook_endpoints", headers=auth(reader))
        assert forbidden.status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.0.0.7/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
    ],
)
async def test_production_settings_refuse_private_link_local_and_loopback_urls(
    database_url: str, url: str
) -> None:
    async with gateway_alone(database_url) as gateway:
        key = await gateway.key("smartfr", "webhooks:manage")
        answer = await gateway.client.post(
            "/v1/webhook_endpoints", json={"url": url, "event_types": ["member.applied"]}, headers=auth(key)
        )
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] in {"url_not_public", "url_not_https"}
        assert answer.json()["param"] == "url"
        assert await gateway.pool.fetchval("SELECT count(*) FROM webhook_endpoints") == 0


# --- the worker on an injected clock ----------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def an_event(gateway: Gateway, clock: FakeClock, tenant: str = "smartfr") -> None:
    """members.MemberApplied as the bus hands it to the fan-out consumer."""
    member_id = uuid.uuid4()
    envelope = Envelope(
        event_id=uuid.uuid4(),
        event_type="members.MemberApplied",
        schema_version=1,
        stream_id=f"member-{member_id}",
        stream_version=1,
        occurred_at=clock(),
        tenant=tenant,
        correlation_id=uuid.uuid4(),
        data={
            "member_id": str(member_id),
            "person_kind": "natural_person",
            "applied_at": clock().isoformat(),
        },
    )
    async with gateway.pool.acquire() as conn, conn.transaction():
        await fan_out(clock)(conn, envelope)


def worker_for(gateway: Gateway, clock: FakeClock) -> DeliveryWorker:
    return DeliveryWorker(
        gateway.pool,
        gateway.runtime.app.state.resources.store,
        secret_box(gateway.runtime.settings),
        clock=clock,
        allow_loopback=True,
    )


async def next_due(gateway: Gateway) -> datetime | None:
    due: datetime | None = await gateway.pool.fetchval(
        "SELECT min(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending'"
    )
    return due


async def test_retries_follow_the_schedule_then_the_delivery_is_given_up(
    database_url: str, receiver: Receiver
) -> None:
    async with gateway_alone(database_url, webhooks_allow_loopback=True) as gateway:
        key = await gateway.key("smartfr", "webhooks:manage")
        endpoint = await gateway.register(key, receiver.url("/down"))
        receiver.answer("/down", *([500] * 20))
        clock = FakeClock()
        worker = worker_for(gateway, clock)
        try:
            await an_event(gateway, clock)
            while (due := await next_due(gateway)) is not None:
                clock.now = max(clock.now, due)
                assert await worker.run_once() == 1
        finally:
            await worker.aclose()
        times = [
            r[0] for r in await gateway.pool.fetch("SELECT attempted_at FROM webhook_attempts ORDER BY id")
        ]
        gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(times)]
        assert len(times) == 8
        for gap, base in zip(gaps, [5, 300, 1800, 7200, 18000, 36000, 36000], strict=True):
            assert base * 0.9 <= gap <= base * 1.1
        assert await gateway.pool.fetchval("SELECT status FROM webhook_deliveries") == "failed"
        read = await gateway.client.get(f"/v1/webhook_endpoints/{endpoint['id']}", headers=auth(key))
        assert read.json()["enabled"] is True  # 28 hours of failure is not 5 days


async def test_an_endpoint_failing_for_five_days_is_disabled_and_the_tenant_told(
    database_url: str, receiver: Receiver
) -> None:
    async with gateway_alone(database_url, webhooks_allow_loopback=True) as gateway:
        key = await gateway.key("smartfr", "webhooks:manage")
        endpoint = await gateway.register(key, receiver.url("/dead"))
        receiver.secrets["/dead"] = endpoint["secret"]
        receiver.answer("/dead", *([500] * 1000))
        clock = FakeClock()
        started = clock.now
        worker = worker_for(gateway, clock)
        try:
            # An event every 12 hours; the worker makes each attempt when it falls due.
            next_event = clock.now
            while True:
                due = await next_due(gateway)
                if due is None or next_event <= due:
                    clock.now = max(clock.now, next_event)
                    await an_event(gateway, clock)
                    next_event += timedelta(hours=12)
                    continue
                clock.now = max(clock.now, due)
                await worker.run_once()
                enabled = await gateway.pool.fetchval(
                    "SELECT enabled FROM webhook_endpoints WHERE id = $1", endpoint["id"]
                )
                if not enabled:
                    break
                assert clock.now - started < timedelta(days=5), "still enabled after 5 days of failures"
        finally:
            await worker.aclose()
        assert timedelta(days=5) <= clock.now - started < timedelta(days=5, hours=12)
        read = await gateway.client.get(f"/v1/webhook_endpoints/{endpoint['id']}", headers=auth(key))
        assert (read.json()["enabled"], read.json()["disabled_reason"]) == (False, "failing")
        assert await next_due(gateway) is None  # what was pending is cancelled
        notices = await _disabled_notices(gateway)
        assert [(n["tenant"], n["data"]["endpoint_id"], n["data"]["reason"]) for n in notices] == [
            ("smartfr", endpoint["id"], "failing")
        ]
        assert all(one.payload is not None for one in receiver.at("/dead"))


async def test_retry_after_is_honoured_and_the_endpoint_rests_until_then(
    database_url: str, receiver: Receiver
) -> None:
    async with gateway_alone(database_url, webhooks_allow_loopback=True) as gateway:
        key = await gateway.key("smartfr", "webhooks:manage")
        await gateway.register(key, receiver.url("/busy"))
        receiver.answer("/busy", (429, {"Retry-After": "600"}))
        clock = FakeClock()
        worker = worker_for(gateway, clock)
        started = clock.now
        try:
            await an_event(gateway, clock)
            assert await worker.run_once() == 1
            due = await next_due(gateway)
            assert due is not None
            assert due - started == timedelta(seconds=600)  # not the schedule's 5 s
            # Another message 10 s later waits too: the endpoint rests.
            clock.now += timedelta(seconds=10)
            await an_event(gateway, clock)
            assert await worker.run_once() == 0
            clock.now = started + timedelta(seconds=600)
            assert await worker.run_once() == 2
        finally:
            await worker.aclose()
        assert (
            await gateway.pool.fetchval("SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'")
            == 2
        )


async def test_a_delivery_goes_to_the_address_checked_not_to_a_second_lookup(
    database_url: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DNS rebinding: a name that answers a safe address to the check, then another one to the HTTP client's
    # own lookup. Here only the check can resolve the name (`.invalid` never resolves, RFC 2606): the
    # delivery arrives only if it is sent to the address the check accepted.
    async def resolved_for_the_check_only(host: str, port: int) -> list[urls.IpAddress]:
        assert host == "rebind.invalid"
        return [ipaddress.ip_address("127.0.0.1")]

    monkeypatch.setattr(urls, "resolve", resolved_for_the_check_only)
    async with gateway_alone(database_url, webhooks_allow_loopback=True) as gateway:
        key = await gateway.key("smartfr", "webhooks:manage")
        await gateway.register(key, f"http://rebind.invalid:{receiver.port}/pinned")
        clock = FakeClock()
        worker = worker_for(gateway, clock)
        try:
            await an_event(gateway, clock)
            assert await worker.run_once() == 1
        finally:
            await worker.aclose()
        status = await gateway.pool.fetchval("SELECT status FROM webhook_deliveries")
    [delivered] = receiver.at("/pinned")
    assert delivered.headers["host"] == f"rebind.invalid:{receiver.port}"  # the name, for the receiver
    assert status == "succeeded"
