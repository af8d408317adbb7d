"""Receiving one pushed message: verify, check, then store it once per (source, webhook-id) before 202.

Stored in ONE transaction: the private event `InboundWebhookReceived` in stream
`inbound-<source>-<webhook-id>` (expected version 0) with the public `gateway.WebhookReceived` on the
outbox, the encrypted body, and the answer. Concurrent or later deliveries of the same webhook-id lose on
the stream's version and get the first answer back, unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from gateway.inbound import metrics
from gateway.inbound.kinds import Kind, PayloadInvalid
from gateway.inbound.sealing import Sealer
from gateway.inbound.signatures import SignatureRefused, SignedHeaders, read_headers, verify
from gateway.inbound.sources import Pusher, Source
from schemas.generated.gateway.webhook_received_v1 import WebhookReceivedV1
from services.envelope import Envelope
from services.eventstore import ConcurrencyConflict, EventStore, NewEvent
from services.http import Problem
from services.ids import new_event_id
from services.log_reader import Conn

ANSWER_RETENTION = timedelta(days=7)
RECEIVED = "InboundWebhookReceived"
PUBLIC_EVENT = "gateway.WebhookReceived"


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    replayed: bool = False


@dataclass(frozen=True)
class Receiver:
    pool: asyncpg.Pool
    store: EventStore
    sealer: Sealer

    async def receive(
        self,
        pusher: Pusher,
        kind: Kind,
        headers: Mapping[str, str],
        body: bytes,
        *,
        now: datetime,
        metadata: Mapping[str, Any],
    ) -> Answer:
        """Verify and store a delivery; raises `Problem` for a refusal, in which case nothing is stored."""
        if len(body) > kind.max_body_bytes:
            raise Problem(
                413,
                "webhook_body_too_large",
                detail=f"at most {kind.max_body_bytes} bytes",
            )
        source = pusher.source
        try:
            signed = self._verified(pusher, headers, body, now)
        except Problem:
            metrics.count(kind.name, metrics.BAD_SIGNATURE)
            raise
        _check_payload(kind, body)
        digest = hashlib.sha256(body).digest()
        async with self.pool.acquire() as conn:
            try:
                answer = await self._store(conn, source, kind, signed, body, digest, now, metadata)
            except ConcurrencyConflict:
                # This webhook-id was stored before (a retry), or by a delivery committed meanwhile: the
                # first answer, for the same body. Stored first and looked up on a conflict, a new message
                # (nearly all of them) costs no lookup.
                first = await _first_answer(conn, source, signed.webhook_id, digest)
                if first is None:
                    first = await self._answer_from_stream(conn, source, signed.webhook_id, digest)
                metrics.count(kind.name, metrics.DUPLICATE)
                return first
        self.store.committed()
        metrics.count(kind.name, metrics.ACCEPTED)
        return answer

    def _verified(
        self, pusher: Pusher, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> SignedHeaders:
        try:
            signed = read_headers(headers)
            secrets = [self.sealer.open(sealed).decode() for sealed in pusher.sealed_secrets]
            verify(signed, body, secrets, now=now)
        except SignatureRefused as refused:
            raise Problem(
                401, refused.code, detail=refused.detail, headers={"WWW-Authenticate": "Webhook-Signature"}
            ) from None
        return signed

    async def _store(
        self,
        conn: Conn,
        source: Source,
        kind: Kind,
        signed: SignedHeaders,
        body: bytes,
        digest: bytes,
        now: datetime,
        metadata: Mapping[str, Any],
    ) -> Answer:
        message_id = new_event_id()
        stream_id = stream_of(source.source_id, signed.webhook_id)
        data = {
            "message_id": str(message_id),
            "source_id": source.source_id,
            "client_id": source.client_id,
            "kind": kind.name,
            "webhook_id": signed.webhook_id,
            "signed_at": signed.timestamp,
            "received_at": now.isoformat(),
            "body_sha256": digest.hex(),
            "body_bytes": len(body),
        }
        public = WebhookReceivedV1(
            message_id=message_id,
            source_id=source.source_id,
            kind=kind.name,
            webhook_id=signed.webhook_id,
            received_at=now,
            body_sha256=digest.hex(),
        )
        envelope = Envelope(
            event_id=new_event_id(),
            event_type=PUBLIC_EVENT,
            schema_version=1,
            stream_id=stream_id,
            stream_version=1,
            occurred_at=now,
            tenant=source.tenant,
            correlation_id=metadata["correlation_id"],
            causation_id=message_id,
            traceparent=metadata.get("traceparent"),
            data=public.model_dump(mode="json"),
        )
        answer = Answer(202, {"id": str(message_id), "status": "accepted"})
        async with conn.transaction():
            await self.store.append(
                stream_id,
                0,
                [NewEvent(RECEIVED, data, event_id=message_id)],
                tenant=source.tenant,
                outbox=[envelope],
                metadata={**metadata, "correlation_id": str(metadata["correlation_id"])},
                conn=conn,
            )
            # The sealed body and the answer in one statement (a round trip costs more than either insert).
            await conn.execute(
                "WITH payload AS (INSERT INTO inbound_payloads"
                " (message_id, tenant, source_id, kind, sealed_body, received_at)"
                " VALUES ($3, $9, $1, $10, $11, $7))"
                " INSERT INTO inbound_answers"
                " (source_id, webhook_id, message_id, body_sha256, status, answer, created_at, expires_at)"
                " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)",
                source.source_id,
                signed.webhook_id,
                message_id,
                digest,
                answer.status,
                orjson.dumps(answer.body).decode(),
                now,
                now + ANSWER_RETENTION,
                source.tenant,
                kind.name,
                self.sealer.seal(body),
            )
        return answer

    async def _answer_from_stream(self, conn: Conn, source: Source, webhook_id: str, digest: bytes) -> Answer:
        """The first answer rebuilt from the stored event, when its row was purged after its retention."""
        events = await self.store.read_stream(stream_of(source.source_id, webhook_id), conn=conn)
        if not events:  # cannot happen: the conflict says the stream exists
            raise RuntimeError(f"no stored message for webhook-id of source {source.source_id}")
        first = events[0].data
        _same_body(bytes.fromhex(first["body_sha256"]), digest)
        return Answer(202, {"id": first["message_id"], "status": "accepted"}, replayed=True)

    async def read_body(self, message_id: UUID) -> bytes | None:
        """The body of a stored message, as received (None once erased or purged)."""
        sealed = await self.pool.fetchval(
            "SELECT sealed_body FROM inbound_payloads WHERE message_id = $1", message_id
        )
        return None if sealed is None else self.sealer.open(sealed)


def stream_of(source_id: str, webhook_id: str) -> str:
    return f"inbound-{source_id}-{webhook_id}"


async def purge_expired_answers(conn: Conn, *, now: datetime) -> int:
    """Forget answers past their retention (the streams still refuse duplicates); returns how many."""
    status: str = await conn.execute("DELETE FROM inbound_answers WHERE expires_at <= $1", now)
    return int(status.rsplit(" ", 1)[-1])


def _check_payload(kind: Kind, body: bytes) -> None:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Problem(400, "webhook_body_invalid", detail="the body is not valid JSON (UTF-8)") from None
    try:
        kind.check(payload)
    except PayloadInvalid as invalid:
        raise Problem(400, "webhook_payload_invalid", detail=invalid.detail, param=invalid.param) from None


async def _first_answer(conn: Conn, source: Source, webhook_id: str, digest: bytes) -> Answer | None:
    row = await conn.fetchrow(
        "SELECT body_sha256, status, answer::text AS answer FROM inbound_answers"
        " WHERE source_id = $1 AND webhook_id = $2",
        source.source_id,
        webhook_id,
    )
    if row is None:
        return None
    _same_body(row["body_sha256"], digest)
    return Answer(row["status"], orjson.loads(row["answer"]), replayed=True)


def _same_body(first: bytes, digest: bytes) -> None:
    if first != digest:
        raise Problem(
            422,
            "webhook_id_reused",
            detail="this webhook-id was already received with another body; use a new id for a new message",
        )
