"""The delivery worker: claims due deliveries, signs and POSTs them, records the attempt, decides what next.

Claims are short transactions (`FOR UPDATE SKIP LOCKED`, so several workers share the work) that push the
delivery's `next_attempt_at` one lease ahead; the HTTP call happens outside any transaction (a transaction
held across it would hold back every commit-order reader of the database, ADR 002). A worker that dies
mid-call leaves the delivery to be claimed again when the lease ends: at least once, never lost.

Scheduling reads `clock`, injected, so tests move time instead of waiting. The signature's timestamp is the
wall clock's: it is what the receiver checks against its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from standardwebhooks import Webhook

from gateway.outbound import metrics, schedule
from gateway.outbound.disabling import FAILING, GONE, disable_endpoint
from gateway.outbound.signing_secrets import SecretBox
from gateway.outbound.urls import UrlRefused, check_url, pinned
from services.eventstore.store import EventStore
from services.log_reader import Conn

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
BODY_KEPT = 1024  # bytes of the receiver's answer kept in the attempts log
USER_AGENT = "SmartFr-Webhooks/1"


def utc_now() -> datetime:
    return datetime.now(UTC)


_CLAIM = """
WITH due AS (
    SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
    WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND e.enabled
      AND (e.paused_until IS NULL OR e.paused_until <= $1)
    ORDER BY d.next_attempt_at
    LIMIT $2
    FOR UPDATE OF d SKIP LOCKED
)
UPDATE webhook_deliveries d SET next_attempt_at = $3
FROM due, webhook_endpoints e, webhook_messages m
WHERE d.id = due.id AND e.id = d.endpoint_id AND m.id = d.message_id
RETURNING d.id, d.endpoint_id, d.tenant, d.message_id, d.attempts, e.url, e.secret_encrypted,
          m.payload::text AS payload
"""


@dataclass(frozen=True)
class Claimed:
    id: int
    endpoint_id: str
    tenant: str
    message_id: str
    attempts: int  # before this one
    url: str
    secret_encrypted: bytes
    payload: str


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    duration_ms: int
    body: str | None
    error: str | None
    retry_after: float | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class DeliveryWorker:
    def __init__(
        self,
        pool: asyncpg.Pool,
        store: EventStore,
        box: SecretBox,
        *,
        clock: Clock = utc_now,
        retry_scale: float = 1.0,
        timeout: float = 15.0,
        poll_interval: float = 1.0,
        allow_loopback: bool = False,
        batch_size: int = 20,
        rng: random.Random | None = None,
    ) -> None:
        self._pool = pool
        self._store = store
        self._box = box
        self._clock = clock
        self._scale = retry_scale
        self._timeout = timeout
        self._poll_interval = poll_interval
        self._allow_loopback = allow_loopback
        self._batch_size = batch_size
        self._rng = rng or random.Random()
        # Lease of a claimed delivery: longer than any call can last.
        self._lease = timedelta(seconds=timeout + 60)
        # Redirects are not followed: a 3xx is a failure (and cannot lead the call into our network).
        self._client = httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, headers={"user-agent": USER_AGENT}
        )

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    handled = await self.run_once()
                except Exception:
                    log.exception("webhook deliveries: a round failed; trying again")
                    handled = 0
                if handled == 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self._poll_interval)
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def run_once(self) -> int:
        """Claims one batch of due deliveries and makes one attempt of each; how many it claimed."""
        now = self._clock()
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(_CLAIM, now, self._batch_size, now + self._lease)
        claimed = [Claimed(**dict(row.items())) for row in rows]
        await asyncio.gather(*(self._attempt(one) for one in claimed))
        return len(claimed)

    async def _attempt(self, claimed: Claimed) -> None:
        outcome = await self._post(claimed)
        metrics.attempted(outcome.status_code)
        await self._record(claimed, outcome)

    async def _post(self, claimed: Claimed) -> Outcome:
        started = time.perf_counter()

        def took() -> int:
            return round((time.perf_counter() - started) * 1000)

        try:
            address = await check_url(claimed.url, allow_loopback=self._allow_loopback)
        except UrlRefused as refused:
            return Outcome(None, took(), None, f"url refused: {refused.detail}", None)
        body = claimed.payload
        signed_at = datetime.now(UTC)
        signature = Webhook(self._box.open(claimed.secret_encrypted)).sign(
            claimed.message_id, signed_at, body
        )
        target = pinned(claimed.url, address)  # to the address checked: no second lookup to rebind
        headers = {
            "host": target.host_header,
            "content-type": "application/json",
            "webhook-id": claimed.message_id,
            "webhook-timestamp": str(int(signed_at.timestamp())),
            "webhook-signature": signature,
        }
        try:
            async with asyncio.timeout(self._timeout):
                async with self._client.stream(
                    "POST", target.url, content=body, headers=headers, extensions=target.extensions
                ) as answer:
                    kept = bytearray()
                    async for chunk in answer.aiter_bytes():
                        kept += chunk
                        if len(kept) >= BODY_KEPT:
                            break
        except TimeoutError:
            return Outcome(None, took(), None, f"no answer within {self._timeout:g} s", None)
        except httpx.HTTPError as exc:
            return Outcome(None, took(), None, f"{type(exc).__name__}: {exc}"[:500], None)
        retry_after = schedule.parse_retry_after(answer.headers.get("retry-after"), self._clock())
        text = bytes(kept[:BODY_KEPT]).decode("utf-8", errors="replace")
        return Outcome(answer.status_code, took(), text, None, retry_after)

    async def _record(self, claimed: Claimed, outcome: Outcome) -> None:
        now = self._clock()
        attempts = claimed.attempts + 1
        async with self._pool.acquire() as conn, conn.transaction():
            current = await conn.fetchrow(
                """SELECT d.status, e.enabled, e.failing_since
                   FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
                   WHERE d.id = $1 FOR UPDATE OF d, e""",
                claimed.id,
            )
            if current is None:  # the endpoint was deleted meanwhile, its deliveries with it
                return
            await conn.execute(
                """INSERT INTO webhook_attempts (delivery_id, endpoint_id, message_id, attempted_at,
                       succeeded,
                       status_code, duration_ms, response_body, error)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
                claimed.id,
                claimed.endpoint_id,
                claimed.message_id,
                now,
                outcome.succeeded,
                outcome.status_code,
                outcome.duration_ms,
                outcome.body,
                outcome.error,
            )
            if current["status"] != "pending":  # cancelled while we called: logged, nothing more
                return
            if outcome.succeeded:
                await self._finish(conn, claimed.id, attempts, "succeeded", now)
                await conn.execute(
                    """UPDATE webhook_endpoints SET failing_since = NULL, paused_until = NULL
                       WHERE id = $1 AND (failing_since IS NOT NULL OR paused_until IS NOT NULL)""",
                    claimed.endpoint_id,
                )
                return
            failing_since: datetime = current["failing_since"] or now
            if outcome.status_code == 410 or now - failing_since >= schedule.FAILING_FOR:
                await self._finish(conn, claimed.id, attempts, "failed", now)
                if current["enabled"]:
                    reason = GONE if outcome.status_code == 410 else FAILING
                    await disable_endpoint(
                        conn, self._store, claimed.tenant, claimed.endpoint_id, reason=reason, now=now
                    )
                return
            await self._after_failure(conn, claimed, outcome, attempts, failing_since, now)

    async def _after_failure(
        self,
        conn: Conn,
        claimed: Claimed,
        outcome: Outcome,
        attempts: int,
        failing_since: datetime,
        now: datetime,
    ) -> None:
        delay = schedule.retry_delay(
            attempts, scale=self._scale, retry_after=outcome.retry_after, rng=self._rng
        )
        if delay is None:
            await self._finish(conn, claimed.id, attempts, "failed", now)
            next_at = None
        else:
            next_at = now + timedelta(seconds=delay)
            await conn.execute(
                "UPDATE webhook_deliveries SET attempts = $2, next_attempt_at = $3 WHERE id = $1",
                claimed.id,
                attempts,
                next_at,
            )
        # An overloaded receiver is given a rest: none of its deliveries goes out before the next attempt.
        slow_down = outcome.status_code in schedule.SLOW_DOWN_STATUSES or outcome.retry_after is not None
        await conn.execute(
            """UPDATE webhook_endpoints SET failing_since = $2,
                   paused_until = CASE WHEN $3::timestamptz IS NULL THEN paused_until
                                       ELSE greatest(paused_until, $3) END
               WHERE id = $1""",
            claimed.endpoint_id,
            failing_since,
            next_at if slow_down else None,
        )

    @staticmethod
    async def _finish(conn: Conn, delivery_id: int, attempts: int, status: str, now: datetime) -> None:
        await conn.execute(
            "UPDATE webhook_deliveries SET status = $2, attempts = $3, finished_at = $4 WHERE id = $1",
            delivery_id,
            status,
            attempts,
            now,
        )
