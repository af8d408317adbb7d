"""Samples the event pipeline's gauges that need a query: outbox backlog and age, consumer lag, dead letters.

Counters (events appended, rows published, messages handled) are updated where the work happens; these
gauges are read every `interval` seconds by one task per process-hosted service rather than at scrape time,
because prometheus_client collects synchronously and the figures come from PostgreSQL and the broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

import asyncpg

from services.consumer import ConsumerRunner, dead_letter_count
from services.metrics import (
    CONSUMER_LAG,
    CONSUMER_LAG_SECONDS,
    DEAD_LETTERS_PENDING,
    OUTBOX_BACKLOG,
    OUTBOX_OLDEST_AGE,
)
from services.relay import OutboxRelay

log = logging.getLogger(__name__)


class PipelineMetrics:
    def __init__(
        self,
        service: str,
        pool: asyncpg.Pool,
        relay: OutboxRelay | None,
        consumers: Sequence[ConsumerRunner],
        *,
        interval: float = 5.0,
    ) -> None:
        self.service = service
        self._pool = pool
        self._relay = relay
        self._consumers = list(consumers)
        self.interval = interval

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.sample()
            except Exception as exc:  # a metric is never worth stopping the service for
                log.warning("%s: sampling pipeline metrics failed: %r", self.service, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)

    async def sample(self) -> None:
        if self._relay is not None:
            OUTBOX_BACKLOG.labels(self.service).set(await self._relay.backlog())
            OUTBOX_OLDEST_AGE.labels(self.service).set(await self._relay.oldest_unpublished_age() or 0.0)
        for runner in self._consumers:
            behind = await runner.lag_by_partition()
            for (topic, partition), messages in (behind or {}).items():
                labels = (self.service, runner.name, topic, str(partition))
                CONSUMER_LAG.labels(*labels).set(messages)
                if messages == 0:  # caught up: the age of the last message handled no longer says anything
                    CONSUMER_LAG_SECONDS.labels(*labels).set(0)
            DEAD_LETTERS_PENDING.labels(self.service, runner.name).set(
                await dead_letter_count(self._pool, runner.name)
            )
