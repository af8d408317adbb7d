"""The back-office started in each of its two modes, behind one shape, so one test body runs against both.

* embedded: one process, the PostgreSQL log as the bus, the gateway called through httpx ASGITransport;
* distributed: each service and the gateway its own `backoffice serve` process, over the real Kafka broker.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from backoffice.embedded import EmbeddedBackoffice
from gateway.auth.api_keys import create_client
from services.db import create_pool

API_VERSION = "2026-11-26"
# Tests poll until a projection catches up; the rate limiter has its own tests (gateway/tests).
E2E_RATE_LIMIT = 1_000_000
PROCESSES = ("members", "contracts", "billing", "payroll", "gateway")
# Five processes importing and migrating at once: some 20 s on a quiet 2-core machine, minutes when loaded.
READY_WITHIN = 300.0


@dataclass
class Deployment:
    mode: str
    database_url: str
    gateway: httpx.AsyncClient
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    logs: Path | None = None

    async def api_key(self, tenant: str, *scopes: str) -> str:
        pool = await create_pool(self.database_url, "gateway")
        try:
            async with pool.acquire() as conn:
                client = await create_client(
                    conn, tenant=tenant, name="e2e", scopes=list(scopes), api_version=API_VERSION
                )
        finally:
            await pool.close()
        return client.api_key

    async def fetchval(self, schema: str, query: str, *args: object) -> object:
        conn = await asyncpg.connect(self.database_url, server_settings={"search_path": schema})
        try:
            return await conn.fetchval(query, *args)
        finally:
            await conn.close()

    async def member_events(self) -> int:
        count = await self.fetchval("members", "SELECT count(*) FROM events")
        assert isinstance(count, int)
        return count

    def tail(self) -> str:
        if self.logs is None:
            return ""
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.logs.glob("*.log")))


@asynccontextmanager
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    """A database of its own: the services' schemas have fixed names, so a deployment gets a database."""
    name = f"e2e_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    try:
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()


@asynccontextmanager
async def embedded(server_url: str) -> AsyncIterator[Deployment]:
    async with fresh_database(server_url) as url:
        backoffice = EmbeddedBackoffice(url, poll_interval=0.2, rate_limit_quota=E2E_RATE_LIMIT)
        await backoffice.start()
        transport = httpx.ASGITransport(app=backoffice.gateway.app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
                yield Deployment("embedded", url, client)
        finally:
            await backoffice.stop()


@asynccontextmanager
async def distributed(
    server_url: str, bootstrap: str, logs: Path, ready_within: float = READY_WITHIN
) -> AsyncIterator[Deployment]:
    async with fresh_database(server_url) as url:
        processes, ports = _start_processes(url, bootstrap, logs)
        try:
            gateway_url = f"http://127.0.0.1:{ports['gateway']}"
            async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as client:
                deployment = Deployment("distributed", url, client, processes, ports, logs)
                await _until_ready(deployment, within=ready_within)
                yield deployment
        finally:
            await asyncio.to_thread(_stop_processes, processes)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _start_processes(
    database_url: str, bootstrap: str, logs: Path
) -> tuple[dict[str, subprocess.Popen[bytes]], dict[str, int]]:
    ports = {name: _free_port() for name in PROCESSES}
    env = {**os.environ, "GATEWAY_RATE_LIMIT_QUOTA": str(E2E_RATE_LIMIT)}
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
    return processes, ports


async def _until_ready(deployment: Deployment, within: float = READY_WITHIN) -> None:
    """Each process answers /readyz; a process that exits fails at once with the logs."""
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=2) as probe:
        for name, process in deployment.processes.items():
            port = deployment.ports[name]
            while True:
                if process.poll() is not None:
                    raise AssertionError(f"{name} exited with {process.returncode}\n{deployment.tail()}")
                try:
                    if (await probe.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"{name} not ready after {within} s\n{deployment.tail()}")
                await asyncio.sleep(0.1)  # another process is starting: nothing here to await on


def _stop_processes(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


async def in_each_mode_at_once(
    scenario: Callable[[Deployment], Awaitable[None]], deployments: Sequence[Deployment]
) -> None:
    """`scenario` against each deployment concurrently, for a scenario that waits on the wall clock (a minute
    of work is reported once it is over): run one mode after the other, it would wait once per mode."""
    outcomes = await asyncio.gather(*(scenario(d) for d in deployments), return_exceptions=True)
    failures: list[Exception] = []
    for deployment, outcome in zip(deployments, outcomes, strict=True):
        if isinstance(outcome, Exception):
            outcome.add_note(f"in the {deployment.mode} deployment")
            failures.append(outcome)
        elif isinstance(outcome, BaseException):
            raise outcome
    if failures:
        raise ExceptionGroup(f"failed in {len(failures)} of {len(deployments)} modes", failures)
