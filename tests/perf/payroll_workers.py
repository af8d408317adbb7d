"""payroll-svc's worker as several processes of one consumer group, fed with completed contracts over Kafka.

Shared by the scale-out test (tests/system/test_consumer_scale_out.py) and its benchmark (bench_scale_out.py).
The load is contracts-svc's public `contracts.ContractCompleted` v1, the schema's own example with a new
contract per message, validated against the generated model before it is sent, and keyed by the contract's
stream as the relay keys it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from schemas.generated.contracts.contract_completed_v1 import ContractCompletedV1
from services.envelope import Envelope
from services.ids import new_event_id
from services.internal_token import Caller, issue
from services.settings import DEV_INTERNAL_TOKEN_SECRET
from services.testkit.infrastructure import free_port

TOPIC = "contracts.events"
GROUP = "payroll.payslips"
TENANT = "smartfr"
_SCHEMA = Path(__file__).resolve().parents[2] / "schemas/jsonschema/contracts/ContractCompleted.v1.json"


def completion(contract_id: UUID) -> Envelope:
    """The schema's example as a new contract's completion (a CDDU of 5 days in one month)."""
    data: dict[str, Any] = json.loads(_SCHEMA.read_text())["examples"][0]
    data = {**data, "contract_id": str(contract_id), "member_id": str(uuid4())}
    ContractCompletedV1.model_validate(data)  # the real payload format, or the load is wrong
    return Envelope(
        event_id=new_event_id(),
        event_type="contracts.ContractCompleted",
        schema_version=1,
        stream_id=f"contract-{contract_id}",
        stream_version=6,
        occurred_at=datetime.now(UTC),
        tenant=TENANT,
        correlation_id=new_event_id(),
        data=data,
    )


async def send(bootstrap: str, envelopes: list[Envelope], rate: float | None = None) -> float:
    """Publish as the relay does (idempotent, acks=all, key = stream id), at `rate` per second or at once;
    the seconds it took."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        started = time.perf_counter()
        pending = []
        for n, envelope in enumerate(envelopes):
            if rate is not None:
                # Pacing the load, not waiting for anything to happen.
                await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            pending.append(
                await producer.send(
                    TOPIC, envelope.model_dump_json().encode(), key=envelope.stream_id.encode()
                )
            )
        await asyncio.gather(*pending)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def partition_count(bootstrap: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_topics([TOPIC])
    finally:
        await admin.close()
    return len(described["partitions"])


@dataclass
class Worker:
    """One `backoffice serve payroll --role worker` process."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    async def ready(self, within: float = 300) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=2) as client:
            while True:
                if self.process.poll() is not None:
                    raise AssertionError(f"the worker exited ({self.process.returncode}):\n{self.tail()}")
                try:
                    if (await client.get(f"http://127.0.0.1:{self.port}/readyz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"the worker was not ready after {within} s:\n{self.tail()}")
                await asyncio.sleep(0.1)  # the process is starting: nothing to await on

    async def consumer(self) -> dict[str, Any]:
        """The group's consumer as this instance's ops status shows it (partitions held, lag)."""
        token = issue(
            os.environ.get("PAYROLL_INTERNAL_TOKEN_SECRET", DEV_INTERNAL_TOKEN_SECRET),
            Caller(TENANT, "scale-out", frozenset({"ops"})),
            audience="payroll",
        )
        async with httpx.AsyncClient(timeout=5) as client:
            answer = await client.get(
                f"http://127.0.0.1:{self.port}/internal/ops/status",
                headers={"Authorization": f"Bearer {token}"},
            )
        if answer.status_code != 200:
            # The status reads the group's committed offsets, which fails while the group rebalances.
            return {"subscribed": False, "partitions": [], "lag_messages": None, "answer": answer.status_code}
        [consumer] = [c for c in answer.json()["consumers"] if c["name"] == GROUP]
        return dict(consumer)

    async def partitions(self) -> set[str] | None:
        """The partitions this instance holds in the group, None while it is not subscribed."""
        consumer = await self.consumer()
        return set(consumer["partitions"]) if consumer["subscribed"] else None

    def metric(self, name: str) -> float:
        """The sum of a counter's samples on /metrics (all labels)."""
        text = httpx.get(f"http://127.0.0.1:{self.port}/metrics", timeout=5).text
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name + "{"))

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def tail(self) -> str:
        return self.log.read_text()[-3000:] if self.log.exists() else ""


def start_worker(
    database_url: str,
    bootstrap: str,
    logs: Path,
    name: str,
    partitions: int = 4,
    settings: dict[str, str] | None = None,
) -> Worker:
    port = free_port()
    env = {
        **os.environ,
        **(settings or {}),
        "PAYROLL_DATABASE_URL": database_url,
        "PAYROLL_KAFKA_BOOTSTRAP": bootstrap,
        "PAYROLL_HTTP_PORT": str(port),
        "PAYROLL_TOPIC_PARTITIONS": str(partitions),
    }
    log = logs / f"payroll-{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "backoffice.cli", "serve", "payroll", "--role", "worker"],
            env=env,
            stdout=out,
            stderr=out,
        )
    return Worker(process, port, log)


async def until(condition: Any, *, within: float, what: str, poll: float = 0.1) -> None:
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still not so after {within} s")
        await asyncio.sleep(poll)


@dataclass(frozen=True)
class Outcome:
    """What payroll made of the given contracts' completions."""

    payslips: int  # rows in the payslips read model
    contracts_with_a_payslip: int
    payslip_events: int  # PayslipIssued events in the store
    salaries: int
    inbox: int  # the load's event ids recorded in the consumer's inbox
    dead_letters: int


async def outcome(database_url: str, contract_ids: list[UUID], event_ids: list[UUID]) -> Outcome:
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "payroll"})
    try:
        row = await conn.fetchrow(
            """SELECT count(*) AS payslips, count(DISTINCT contract_id) AS contracts,
                      (SELECT count(*) FROM events WHERE event_type = 'PayslipIssued'
                        AND (data->>'contract_id')::uuid = ANY($1)) AS events,
                      (SELECT count(*) FROM salary_payments s WHERE s.payslip_id IN
                        (SELECT payslip_id FROM payslips WHERE contract_id = ANY($1))) AS salaries,
                      (SELECT count(*) FROM inbox WHERE consumer = $3 AND event_id = ANY($2)) AS inbox,
                      (SELECT count(*) FROM dead_letters WHERE consumer = $3) AS dead_letters
               FROM payslips WHERE contract_id = ANY($1)""",
            contract_ids,
            event_ids,
            GROUP,
        )
    finally:
        await conn.close()
    assert row is not None
    return Outcome(
        row["payslips"], row["contracts"], row["events"], row["salaries"], row["inbox"], row["dead_letters"]
    )


async def payslips_made(database_url: str) -> int:
    """The payslips in the run's own database (polled while the workers run: a count of the table is cheap,
    where matching the run's thousands of contract ids took the server 30 ms a poll, out of the workers'
    CPU; `outcome` checks each contract at the end)."""
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "payroll"})
    try:
        count = await conn.fetchval("SELECT count(*) FROM payslips")
    finally:
        await conn.close()
    return int(count)
