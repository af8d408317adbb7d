"""The fault injector: one fault at a time, in turn, each undone before the next (the system then has to
recover on its own; the injector only waits for the process to answer again, never for the work to catch up).

Faults: SIGKILL of each process (every service, the second payroll worker and the gateway) and a restart;
a Kafka broker restart; a PostgreSQL crash (SIGKILL of the postmaster) and start, or a clean restart on
even rounds; a consumer paused (SIGSTOP) past its Kafka session timeout, so that the group hands its
partitions to the other replica, then resumed (SIGCONT) into a group that no longer counts it.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial

from services.bus.kafka import KafkaTransport
from services.testkit.infrastructure import KafkaBroker, PostgresServer
from tests.chaos.cluster import SECOND_WORKER, Cluster

# Past the consumers' session timeout (the transport's setting), with a margin for a loaded machine.
PAUSE_SECONDS = KafkaTransport("unused").session_timeout_ms / 1000 + 5


@dataclass
class FaultInjector:
    cluster: Cluster
    kafka: KafkaBroker
    postgres: PostgresServer
    round_number: int = 1
    injected: Counter[str] = field(default_factory=Counter)
    timeline: list[tuple[float, str, float]] = field(default_factory=list)  # (start, fault, seconds)

    def schedule(self) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
        kills: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            (f"kill {name}", partial(self.cluster.crash_and_restart, name))
            for name in ("contracts", "gateway", "members", "payroll", "billing", f"{SECOND_WORKER}-2")
        ]
        return [
            *kills[:2],
            ("restart kafka", self._restart_kafka),
            *kills[2:4],
            ("pause consumer", self._pause_consumer),
            ("crash postgres" if self.round_number % 2 else "restart postgres", self._restart_postgres),
            *kills[4:],
        ]

    async def run(self, between: float) -> None:
        """Every fault of the schedule once, `between` seconds of normal running after each."""
        origin = time.monotonic()
        for name, fault in self.schedule():
            started = time.monotonic()
            await fault()
            self.injected[name] += 1
            self.timeline.append((started - origin, name, time.monotonic() - started))
            await asyncio.sleep(between)  # load runs undisturbed for a while: the pace of the faults

    async def _restart_kafka(self) -> None:
        await self.kafka.restart()
        await self.kafka.wait_ready()

    async def _restart_postgres(self) -> None:
        if self.round_number % 2:
            await self.postgres.kill()
            await self.postgres.start()
        else:
            await self.postgres.restart()
        await self.postgres.wait_ready()
        for name in self.cluster.processes:
            await self.cluster.until_ready(name)

    async def _pause_consumer(self) -> None:
        """The first payroll replica stops answering anything (heartbeats included) past its session."""
        self.cluster.pause(SECOND_WORKER)
        try:
            await asyncio.sleep(
                PAUSE_SECONDS
            )  # the fault is the duration itself: a consumer frozen that long
        finally:
            self.cluster.resume(SECOND_WORKER)
        await self.cluster.until_ready(SECOND_WORKER)
