"""Inbound webhooks through the running gateway (embedded back-office, real PostgreSQL).

Messages are signed with the `standardwebhooks` package, as an association's sender would. Each test has its
own API client and source, and counts only its own source's rows; time moves with the app's clock.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg
import httpx
import orjson
import pytest
from standardwebhooks import Webhook

from backoffice.embedded import EmbeddedBackoffice
from gateway.auth.api_keys import create_client
from gateway.clock import Clock, clock_of
from gateway.config import Settings
from gateway.inbound.receiver import Receiver, purge_expired_answers
from gateway.inbound.sealing import Sealer
from gateway.inbound.signatures import new_secret, sign
from gateway.inbound.sources import issue_secret

PING = "/v1/webhooks/inbound/test.ping"
BODY = b'{"hello":  "world", "amount": 1.50}'  # a re-serialisation would change these bytes


@pytest.fixture(scope="module")
async def backoffice(database_url: str) -> AsyncIterator[EmbeddedBackoffice]:
    name = f"inbound_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    running = EmbeddedBackoffice(database_url.rsplit("/", 1)[0] + f"/{name}", poll_interval=0.2)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
        admin = await asyncpg.connect(database_url)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()


@pytest.fixture
async def gateway(backoffice: EmbeddedBackoffice) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=backoffice.gateway.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


@dataclass
class Association:
    source_id: str
    client_id: str
    api_key: str
    secret: str
    pool: asyncpg.Pool
    clock: Clock

    def headers(
        self,
        body: bytes = BODY,
        *,
        webhook_id: str | None = None,
        at: datetime | None = None,
        secret: str | None = None,
    ) -> dict[str, str]:
        """The headers a Standard Webhooks sender sends, signed with the reference package."""
        webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
        at = at or self.clock.now()
        signature = Webhook(secret or self.secret).sign(webhook_id, at, body.decode())
        return {
            "Authorization": f"Bearer {self.api_key}",
            "Content-Type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature,
        }

    async def rotate(self) -> str:
        async with self.pool.acquire() as conn:
            return await issue_secret(
                conn, sealer(), tenant="smartfr", source_id=self.source_id, now=self.clock.now()
            )

    async def stored(self) -> dict[str, int]:
        """How many events, outbox rows, bodies and answers exist for this source."""
        prefix = f"inbound-{self.source_id}-%"
        row = await self.pool.fetchrow(
            """SELECT (SELECT count(*) FROM events WHERE stream_id LIKE $1) AS events,
                      (SELECT count(*) FROM outbox WHERE message_key LIKE $1) AS outbox,
                      (SELECT count(*) FROM inbound_payloads WHERE source_id = $2) AS payloads,
                      (SELECT count(*) FROM inbound_answers WHERE source_id = $2) AS answers""",
            prefix,
            self.source_id,
        )
        assert row is not None
        return dict(row)


NOTHING = {"events": 0, "outbox": 0, "payloads": 0, "answers": 0}
ONE = {"events": 1, "outbox": 1, "payloads": 1, "answers": 1}


def sealer() -> Sealer:
    return Sealer(Settings().secrets_encryption_key.get_secret_value())


@pytest.fixture
async def association(backoffice: EmbeddedBackoffice) -> Association:
    pool = backoffice.gateway.pool
    clock = clock_of(backoffice.gateway.app)
    source_id = f"assoc_{uuid.uuid4().hex[:10]}"
    async with pool.acquire() as conn:
        client = await create_client(
            conn, tenant="smartfr", name=source_id, scopes=["webhooks:send"], api_version="2026-11-26"
        )
        secret = await issue_secret(
            conn, sealer(), tenant="smartfr", source_id=source_id, client_id=client.client_id, now=clock.now()
        )
    return Association(source_id, client.client_id, client.api_key, secret, pool, clock)


def assert_problem(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == code


async def test_a_message_signed_with_the_package_is_stored_with_its_public_event_before_202(
    association: Association, gateway: httpx.AsyncClient, backoffice: EmbeddedBackoffice
) -> None:
    # Given an association with its secret; when it pushes a signed ping
    answer = await gateway.post(PING, content=BODY, headers=association.headers(webhook_id="msg_first"))
    # Then it is accepted, and the event, the outbox row, the body and the answer are all there
    assert answer.status_code == 202, answer.text
    message_id = answer.json()["id"]
    assert answer.json() == {"id": message_id, "status": "accepted"}
    assert await association.stored() == ONE
    stream = f"inbound-{association.source_id}-msg_first"
    events = await backoffice.gateway.app.state.resources.store.read_stream(stream)
    assert [(e.event_type, e.event_id, e.tenant) for e in events] == [
        ("InboundWebhookReceived", UUID(message_id), "smartfr")
    ]
    assert events[0].data["body_sha256"] == hashlib.sha256(BODY).hexdigest()
    envelope = orjson.loads(
        await association.pool.fetchval("SELECT envelope::text FROM outbox WHERE message_key = $1", stream)
    )
    assert envelope["event_type"] == "gateway.WebhookReceived"
    assert envelope["tenant"] == "smartfr"
    assert envelope["data"]["message_id"] == message_id
    assert envelope["data"]["source_id"] == association.source_id
    assert "hello" not in orjson.dumps(envelope).decode()  # the body does not travel
    # And the body is kept exactly as received, encrypted at rest
    receiver = Receiver(association.pool, backoffice.gateway.app.state.resources.store, sealer())
    assert await receiver.read_body(UUID(message_id)) == BODY
    sealed = await association.pool.fetchval(
        "SELECT sealed_body FROM inbound_payloads WHERE message_id = $1", UUID(message_id)
    )
    assert b"hello" not in sealed


async def test_the_secret_is_stored_encrypted(association: Association) -> None:
    sealed = await association.pool.fetchval(
        "SELECT sealed FROM inbound_secrets WHERE source_id = $1", association.source_id
    )
    assert association.secret.encode() not in sealed
    assert association.secret.removeprefix("whsec_").encode() not in sealed
    assert sealer().open(sealed).decode() == association.secret


def _tampered(association: Association, case: str) -> tuple[bytes, dict[str, str]]:
    now = association.clock.now()
    if case == "wrong signature":
        return BODY, association.headers(secret=new_secret())
    if case == "six minutes old":
        return BODY, association.headers(at=now - timedelta(minutes=6))
    if case == "six minutes in the future":
        return BODY, association.headers(at=now + timedelta(minutes=6))
    if case == "modified body":
        return BODY.replace(b"1.50", b"1.5"), association.headers()
    headers = association.headers()
    del headers[case.removeprefix("without ")]
    return BODY, headers


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("wrong signature", "webhook_signature_invalid"),
        ("six minutes old", "webhook_timestamp_out_of_tolerance"),
        ("six minutes in the future", "webhook_timestamp_out_of_tolerance"),
        ("modified body", "webhook_signature_invalid"),
        ("without webhook-id", "webhook_headers_missing"),
        ("without webhook-timestamp", "webhook_headers_missing"),
        ("without webhook-signature", "webhook_headers_missing"),
    ],
)
async def test_a_message_that_is_not_proven_is_refused_with_401_and_nothing_stored(
    association: Association, gateway: httpx.AsyncClient, case: str, code: str
) -> None:
    body, headers = _tampered(association, case)
    answer = await gateway.post(PING, content=body, headers=headers)
    assert_problem(answer, 401, code)
    assert await association.stored() == NOTHING


async def test_a_replayed_webhook_id_gets_the_first_answer_and_creates_nothing(
    association: Association, gateway: httpx.AsyncClient
) -> None:
    # Given a message accepted once
    first = await gateway.post(PING, content=BODY, headers=association.headers(webhook_id="msg_again"))
    assert first.status_code == 202
    # When the sender delivers it again, re-signed a little later as senders do
    association.clock.advance(timedelta(seconds=30))
    again = await gateway.post(PING, content=BODY, headers=association.headers(webhook_id="msg_again"))
    # Then the answer is the first one, and nothing more is stored
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert await association.stored() == ONE


async def test_a_webhook_id_reused_with_another_body_is_refused(
    association: Association, gateway: httpx.AsyncClient
) -> None:
    await gateway.post(PING, content=BODY, headers=association.headers(webhook_id="msg_reused"))
    other = b'{"hello": "someone else"}'
    answer = await gateway.post(
        PING, content=other, headers=association.headers(other, webhook_id="msg_reused")
    )
    assert_problem(answer, 422, "webhook_id_reused")
    assert await association.stored() == ONE


async def test_a_redelivery_after_the_answers_retention_still_creates_nothing(
    association: Association, gateway: httpx.AsyncClient
) -> None:
    # Given a message accepted, and its answer purged after 7 days
    first = await gateway.post(PING, content=BODY, headers=association.headers(webhook_id="msg_late"))
    association.clock.advance(timedelta(days=7, minutes=1))
    async with association.pool.acquire() as conn:
        assert await purge_expired_answers(conn, now=association.clock.now()) >= 1
    # When the sender delivers it once more
    again = await gateway.post(PING, content=BODY, headers=association.headers(webhook_id="msg_late"))
    # Then the stream still refuses the duplicate and the first answer is rebuilt from its event
    assert (again.status_code, again.json()) == (202, first.json())
    assert await association.stored() == {**ONE, "answers": 0}


async def test_ten_concurrent_deliveries_of_one_webhook_id_store_one_message(
    association: Association, gateway: httpx.AsyncClient
) -> None:
    deliveries = [association.headers(webhook_id="msg_concurrent") for _ in range(10)]
    answers = await asyncio.gather(*(gateway.post(PING, content=BODY, headers=h) for h in deliveries))
    assert [a.status_code for a in answers] == [202] * 10
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 9
    assert await association.stored() == ONE


async def test_after_a_rotation_both_secrets_work_for_24_hours_then_only_the_new_one(
    association: Association, gateway: httpx.AsyncClient
) -> None:
    # Given a rotation
    old = association.secret
    new = await association.rotate()
    assert new != old
    # Then within 24 hours either secret is accepted
    association.clock.advance(timedelta(hours=23, minutes=59))
    for secret in (old, new):
        answer = await gateway.post(PING, content=BODY, headers=association.headers(secret=secret))
        assert answer.status_code == 202, answer.text
    # And after 24 hours the old one is refused while the new one still works
    association.clock.advance(timedelta(minutes=2))
    refused = await gateway.post(PING, content=BODY, headers=association.headers(secret=old))
    assert_problem(refused, 401, "webhook_signature_invalid")
    accepted = await gateway.post(PING, content=BODY, headers=association.headers(secret=new))
    assert accepted.status_code == 202
    assert (await association.stored())["events"] == 3


async def test_a_second_rotation_ends_the_oldest_secret_at_once(
    association: Association, gateway: httpx.AsyncClient
) -> None:
    first = association.secret
    second = await association.rotate()
    third = await association.rotate()
    refused = await gateway.post(PING, content=BODY, headers=association.headers(secret=first))
    assert_problem(refused, 401, "webhook_signature_invalid")
    for secret in (second, third):
        answer = await gateway.post(PING, content=BODY, headers=association.headers(secret=secret))
        assert answer.status_code == 202


async def test_an_unknown_kind_is_404(association: Association, gateway: httpx.AsyncClient) -> None:
    answer = await gateway.post(
        "/v1/webhooks/inbound/hire.unknown", content=BODY, headers=association.headers()
    )
    assert_problem(answer, 404, "webhook_kind_unknown")
    assert await association.stored() == NOTHING


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"hello": ', 400, "webhook_body_invalid"),
        (b"\xff\xfe", 400, "webhook_body_invalid"),
        (b"[1, 2]", 400, "webhook_payload_invalid"),
        (b'{"pad": "' + b"x" * 300_000 + b'"}', 413, "webhook_body_too_large"),
    ],
)
async def test_a_signed_body_that_is_not_an_acceptable_message_is_refused(
    association: Association, gateway: httpx.AsyncClient, body: bytes, status: int, code: str
) -> None:
    # Signed by hand: the package signs text, and some of these bodies are not UTF-8
    webhook_id = f"msg_{uuid.uuid4().hex}"
    at = association.clock.now()
    headers = association.headers(webhook_id=webhook_id, at=at)
    headers["webhook-signature"] = sign(association.secret, webhook_id, int(at.timestamp()), body)
    answer = await gateway.post(PING, content=body, headers=headers)
    assert_problem(answer, status, code)
    assert await association.stored() == NOTHING


async def test_a_client_without_a_source_or_without_the_scope_is_refused(
    backoffice: EmbeddedBackoffice, association: Association, gateway: httpx.AsyncClient
) -> None:
    async with backoffice.gateway.pool.acquire() as conn:
        no_source = await create_client(
            conn, tenant="smartfr", name="no source", scopes=["webhooks:send"], api_version="2026-11-26"
        )
        no_scope = await create_client(
            conn, tenant="smartfr", name="no scope", scopes=["members:read"], api_version="2026-11-26"
        )
    for key, code in (
        (no_source.api_key, "webhook_source_unknown"),
        (no_scope.api_key, "insufficient_scope"),
    ):
        headers = {**association.headers(), "Authorization": f"Bearer {key}"}
        assert_problem(await gateway.post(PING, content=BODY, headers=headers), 403, code)
    unauthenticated = {k: v for k, v in association.headers().items() if k != "Authorization"}
    assert (await gateway.post(PING, content=BODY, headers=unauthenticated)).status_code == 401
    assert await association.stored() == NOTHING
