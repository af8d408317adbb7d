"""The distributed back-office as processes a test may kill, restart and pause one by one.

Like tests/e2e/deployments.py (each service and the gateway its own `backoffice serve` process over Kafka),
plus what a fault injector needs: a process restarts on its own port with its own settings, its log is
appended to across restarts, and one service runs a second worker so that pausing the first past its
consumer session timeout hands its partitions over (a rebalance), as in production with two replicas.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from services.testkit.infrastructure import free_port
from tests.e2e.deployments import E2E_RATE_LIMIT, PROCESSES

SERVICES = PROCESSES[:-1]  # members, contracts, billing, payroll (the gateway is the last)
# The service run with a second replica (role `worker`: relay standby, consumers, projections).
SECOND_WORKER = "payroll"


@dataclass
class Process:
    name: str  # "contracts", "payroll-2"
    service: str  # the `backoffice serve` argument
    role: str
    port: int
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0
    env: dict[str, str] = field(default_factory=dict)  # its settings over the cluster's (a restored database)


@dataclass
class Cluster:
    database_url: str
    bootstrap: str
    logs: Path
    processes: dict[str, Process] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in PROCESSES:
            self.processes[name] = Process(name, name, "all", free_port())
        second = f"{SECOND_WORKER}-2"
        self.processes[second] = Process(second, SECOND_WORKER, "worker", free_port())

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.processes['gateway'].port}"

    def _env(self, process: Process) -> dict[str, str]:
        env = {**os.environ, "GATEWAY_RATE_LIMIT_QUOTA": str(E2E_RATE_LIMIT)}
        for name in PROCESSES:
            prefix = name.upper()
            env[f"{prefix}_DATABASE_URL"] = self.database_url
            env[f"{prefix}_KAFKA_BOOTSTRAP"] = self.bootstrap
            env[f"{prefix}_HTTP_PORT"] = str(self.processes[name].port)
            env[f"{prefix}_TOPIC_PARTITIONS"] = "2"
        for name in SERVICES:
            env[f"GATEWAY_{name.upper()}_URL"] = f"http://127.0.0.1:{self.processes[name].port}"
        env[f"{process.service.upper()}_HTTP_PORT"] = str(process.port)
        return {**env, **process.env}

    def spawn(self, name: str) -> None:
        process = self.processes[name]
        with (self.logs / f"{name}.log").open("ab") as log:
            process.popen = subprocess.Popen(
                [sys.executable, "-m", "backoffice.cli", "serve", process.service, "--role", process.role],
                env=self._env(process),
                stdout=log,
                stderr=log,
            )
        process.starts += 1

    async def start(self, within: float = 600) -> None:
        for name in self.processes:
            self.spawn(name)
        for name in self.processes:
            await self.until_ready(name, within)

    async def until_ready(self, name: str, within: float = 300) -> None:
        """Until the process answers /readyz (its database reachable); fails at once if it exited."""
        process = self.processes[name]
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=2) as probe:
            while True:
                assert process.popen is not None
                if process.popen.poll() is not None:
                    raise AssertionError(f"{name} exited with {process.popen.returncode}\n{self.tail(name)}")
                try:
                    if (await probe.get(f"http://127.0.0.1:{process.port}/readyz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"{name} not ready after {within} s\n{self.tail(name)}")
                await asyncio.sleep(0.1)  # polling a process that is starting: nothing to await on

    async def kill(self, name: str) -> None:
        """SIGKILL, as a crash (no shutdown hook runs), and reap it."""
        popen = self.processes[name].popen
        assert popen is not None
        popen.kill()
        await asyncio.to_thread(popen.wait, 30)

    async def crash_and_restart(self, name: str) -> None:
        await self.kill(name)
        self.spawn(name)
        await self.until_ready(name)

    def pause(self, name: str) -> None:
        popen = self.processes[name].popen
        assert popen is not None
        os.kill(popen.pid, signal.SIGSTOP)

    def resume(self, name: str) -> None:
        popen = self.processes[name].popen
        assert popen is not None
        os.kill(popen.pid, signal.SIGCONT)

    def stop(self) -> None:
        running = [p.popen for p in self.processes.values() if p.popen is not None and p.popen.poll() is None]
        for popen in running:
            os.kill(popen.pid, signal.SIGCONT)  # a paused process would not see the SIGTERM
            popen.terminate()
        for popen in running:
            try:
                popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait(timeout=20)

    def tail(self, name: str | None = None, chars: int = 3000) -> str:
        paths = [self.logs / f"{name}.log"] if name else sorted(self.logs.glob("*.log"))
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-chars:]}" for p in paths if p.exists()
        )
