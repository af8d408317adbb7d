"""The walking skeleton in the distributed mode: each service and the gateway its own process, over Kafka."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gateway.auth.api_keys import create_client
from services.db import create_pool
from services.testkit.infrastructure import KafkaBroker
from tests.e2e.skeleton import fresh_database, member_applies, member_reaches_contracts

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
PROCESSES = ("members", "contracts", "billing", "payroll", "gateway")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Distributed:
    database_url: str
    gateway_url: str
    processes: dict[str, subprocess.Popen[bytes]]
    logs: Path

    def tail(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.logs.glob("*.log")))


def _start(database_url: str, bootstrap: str, logs: Path) -> Distributed:
    ports = {name: _free_port() for name in PROCESSES}
    env = dict(os.environ)
    for name in PROCESSES:
        prefix = name.upper()
        env[f"{prefix}_DATABASE_URL"] = database_url
        env[f"{prefix}_KAFKA_BOOTSTRAP"] = bootstrap
        env[f"{prefix}_HTTP_PORT"] = str(ports[name])
        env[f"{prefix}_TOPIC_PARTITIONS"] = "2"
    for name in PROCESSES[:-1]:
        env[f"GATEWAY_{name.upper()}_URL"] = f"http://127.0.0.1:{ports[name]}"
    processes = {}
    for name in PROCESSES:
        with (logs / f"{name}.log").open("wb") as log:
            processes[name] = subprocess.Popen(
                [sys.executable, "-m", "backoffice.cli", "serve", name], env=env, stdout=log, stderr=log
            )
    running = Distributed(database_url, f"http://127.0.0.1:{ports['gateway']}", processes, logs)
    deadline = time.monotonic() + 90
    for name in PROCESSES:
        url = f"http://127.0.0.1:{ports[name]}/readyz"
        while True:
            if processes[name].poll() is not None:
                raise AssertionError(f"{name} exited with {processes[name].returncode}\n{running.tail()}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} not ready after 90 s\n{running.tail()}")
            time.sleep(0.1)  # waiting for another process to listen: there is nothing to await
    return running


def _stop(running: Distributed) -> None:
    for process in running.processes.values():
        process.terminate()
    for process in running.processes.values():
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[str]:
    async with fresh_database(database_url) as url:
        yield url


@pytest.fixture
def distributed(database: str, kafka_bootstrap: str, tmp_path: Path) -> Iterator[Distributed]:
    running = _start(database, kafka_bootstrap, tmp_path)
    try:
        yield running
    finally:
        _stop(running)


async def _api_key(database_url: str) -> str:
    pool = await create_pool(database_url, "gateway")
    try:
        async with pool.acquire() as conn:
            client = await create_client(
                conn,
                tenant="smartfr",
                name="e2e",
                scopes=["members:read", "members:write", "contracts:read"],
                api_version="2026-11-26",
            )
    finally:
        await pool.close()
    return client.api_key


async def _outbox_trace_id(database_url: str, member_id: str) -> str | None:
    pool = await create_pool(database_url, "members")
    try:
        traceparent: str | None = await pool.fetchval(
            "SELECT envelope->>'traceparent' FROM outbox WHERE envelope->'data'->>'member_id' = $1", member_id
        )
    finally:
        await pool.close()
    return None if traceparent is None else traceparent.split("-")[1]


async def test_the_skeleton_flow_crosses_separate_processes_and_survives_a_broker_restart(
    distributed: Distributed, controllable_kafka: KafkaBroker
) -> None:
    key = await _api_key(distributed.database_url)
    async with httpx.AsyncClient(base_url=distributed.gateway_url, timeout=30) as gateway:
        first = await member_applies(gateway, key, traceparent=TRACEPARENT)
        await member_reaches_contracts(gateway, key, first, within=60)
        # The caller's trace crossed the gateway -> members-svc HTTP hop into the public event.
        assert await _outbox_trace_id(distributed.database_url, first) == TRACEPARENT.split("-")[1]

        # The broker goes away: the application is still accepted (it waits in the outbox) ...
        await controllable_kafka.stop()
        during_outage = await member_applies(gateway, key)
        await controllable_kafka.start()
        # ... and reaches contracts-svc once the broker is back; nothing is lost.
        await member_reaches_contracts(gateway, key, during_outage, within=90)
    assert all(process.poll() is None for process in distributed.processes.values()), distributed.tail()
