"""Outbound webhook metrics: attempts by outcome, counted as they happen; pending deliveries and disabled
endpoints, sampled from the tables every few seconds (prometheus_client collects synchronously)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg
from prometheus_client import Counter, Gauge

log = logging.getLogger(__name__)

SUCCEEDED = "succeeded"  # a 2xx answer
FAILED = "failed"  # any other answer
NO_ANSWER = "no_answer"  # refused address, connection error or timeout

ATTEMPTS = Counter(
    "gateway_webhook_delivery_attempts_total",
    "Outbound webhook delivery attempts, by outcome (succeeded, failed, no_answer).",
    ["outcome"],
)
PENDING = Gauge(
    "gateway_webhook_deliveries_pending",
    "Outbound webhook deliveries waiting for their next attempt.",
)
DISABLED_ENDPOINTS = Gauge(
    "gateway_webhook_endpoints_disabled",
    "Outbound webhook endpoints disabled (gone, or failing for too long).",
)


def attempted(status_code: int | None) -> None:
    if status_code is None:
        ATTEMPTS.labels(NO_ANSWER).inc()
    else:
        ATTEMPTS.labels(SUCCEEDED if 200 <= status_code < 300 else FAILED).inc()


class Sampler:
    def __init__(self, pool: asyncpg.Pool, *, interval: float = 5.0) -> None:
        self._pool = pool
        self.interval = interval

    async def sample(self) -> None:
        row = await self._pool.fetchrow(
            "SELECT (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending') AS pending,"
            " (SELECT count(*) FROM webhook_endpoints WHERE NOT enabled) AS disabled"
        )
        assert row is not None  # one row, always
        PENDING.set(row["pending"])
        DISABLED_ENDPOINTS.set(row["disabled"])

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.sample()
            except Exception as exc:  # a metric is never worth stopping the gateway for
                log.warning("sampling webhook delivery metrics failed: %r", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)
