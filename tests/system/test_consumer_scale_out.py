"""Two instances of payroll-svc's worker share the `payroll.payslips` consumer group; one is killed (SIGKILL)
while completed contracts keep arriving: its partitions move to the other, and every contract still gets
exactly one payslip and one salary (the inbox absorbs what the dead one had done but not acknowledged)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import uuid4

import pytest

from tests.e2e.deployments import fresh_database
from tests.perf.payroll_workers import (
    TOPIC,
    completion,
    outcome,
    partition_count,
    payslips_made,
    send,
    start_worker,
    until,
)

LOAD = 600
RATE = 100.0  # completions per second, sent beside the processing; the kill once a quarter is paid
WITHIN = 180.0

# Two processes start, rebalance twice and wait out a session timeout: minutes on a loaded 2-core machine.
pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(1200)]


async def test_a_killed_worker_s_partitions_move_and_no_payslip_is_lost_or_doubled(
    database_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    async with fresh_database(database_url) as url:
        first = start_worker(url, kafka_bootstrap, tmp_path, "a")
        second = start_worker(url, kafka_bootstrap, tmp_path, "b")
        try:
            await asyncio.gather(first.ready(), second.ready())
            partitions = await partition_count(kafka_bootstrap)
            assert partitions >= 2, f"{TOPIC} has {partitions} partition(s): two instances cannot share it"
            every = {f"{TOPIC}:{p}" for p in range(partitions)}
            shares: dict[str, set[str]] = {}
            a, b = first, second

            async def shared_by_both() -> bool:
                shares["a"], shares["b"] = await a.partitions() or set(), await b.partitions() or set()
                return bool(shares["a"]) and bool(shares["b"]) and shares["a"] | shares["b"] == every

            await until(shared_by_both, within=WITHIN, what="both instances hold partitions")
            assert not shares["a"] & shares["b"], "a partition is held by both instances"

            contract_ids = [uuid4() for _ in range(LOAD)]
            envelopes = [completion(c) for c in contract_ids]
            load = asyncio.ensure_future(send(kafka_bootstrap, envelopes, rate=RATE))

            async def under_way() -> bool:
                return await payslips_made(url) >= LOAD // 4

            await until(under_way, within=WITHIN, what="a quarter of the payslips issued")
            second.kill()  # SIGKILL: no clean leave, its batch in flight is never acknowledged
            assert await payslips_made(url) < LOAD, "all was done before the kill: raise LOAD"

            async def moved() -> bool:
                return await a.partitions() == every

            await until(moved, within=WITHIN, what="the survivor holds every partition")
            await load

            async def all_issued() -> bool:
                return await payslips_made(url) >= LOAD

            await until(all_issued, within=WITHIN, what=f"{LOAD} payslips")

            async def caught_up() -> bool:
                consumer = await a.consumer()
                return bool(consumer["subscribed"]) and consumer["lag_messages"] == 0

            # What the dead one had not acknowledged came again to the survivor: all of it handled now.
            await until(caught_up, within=WITHIN, what="the survivor acknowledged everything")
            made = await outcome(url, contract_ids, [e.event_id for e in envelopes])
            assert made.payslips == made.contracts_with_a_payslip == made.payslip_events == LOAD
            assert made.salaries == LOAD
            assert made.inbox == LOAD
            assert made.dead_letters == 0
        finally:
            first.stop()
            second.stop()
