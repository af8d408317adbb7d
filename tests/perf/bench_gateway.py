"""The gateway under load, in the distributed mode, beside a bare FastAPI endpoint in the same run.

    uv run python -m tests.perf gateway      # BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 50)

wrk (Debian's package; installed with apt-get when missing) loads, from its own process on loopback:
a bare FastAPI endpoint returning a constant (the framework's ceiling here), an authenticated GET of one
member through the gateway, answered from its read cache (ADR 007) after the first, the same GET through a
second gateway process with the cache off (`GATEWAY_READ_CACHE_ENABLED=false`: gateway -> members-svc over
HTTP -> PostgreSQL on every request), and POST /v1/members with a new Idempotency-Key per request.
Targets: the authenticated GET at >= 50 % of the bare endpoint's rate, and its p99 under 50 ms at 50
connections.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tests.e2e.deployments import Deployment, distributed
from tests.perf.table import Figure, Target

WRK_DIR = Path(__file__).parent / "wrk"
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "50"))


def _ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk") or "wrk"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wrk(wrk: str, base_url: str, script: str, **env: str) -> dict[str, float]:
    done = subprocess.run(
        [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", "-s", str(WRK_DIR / script), base_url],
        env={**os.environ, "BENCH_WRK_DIR": str(WRK_DIR), "BENCH_RUN": uuid.uuid4().hex[:8], **env},
        capture_output=True,
        text=True,
        check=True,
    )
    report: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    report["rate"] = report["requests"] / report["seconds"]
    return report


async def _until(url: str, status: int, headers: dict[str, str] | None = None, within: float = 60) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=5) as client:
        while True:
            try:
                if (await client.get(url, headers=headers)).status_code == status:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer {status} within {within} s")
            await asyncio.sleep(0.1)


async def _a_member(deployment: Deployment, key: str) -> str:
    answer = await deployment.gateway.post(
        "/v1/members",
        json={"person_kind": "natural_person", "display_name": "Bench Reader"},
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid.uuid4())},
    )
    answer.raise_for_status()
    member_id = str(answer.json()["id"])
    await _until(
        f"{deployment.gateway.base_url}/v1/members/{member_id}", 200, {"Authorization": f"Bearer {key}"}
    )
    return member_id


def _uncached_gateway(deployment: Deployment, port: int, logs: Path) -> subprocess.Popen[bytes]:
    """A second gateway process on the same services and database, API only, with the read cache off."""
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": deployment.database_url,
        "GATEWAY_HTTP_PORT": str(port),
        "GATEWAY_READ_CACHE_ENABLED": "false",
        **{
            f"GATEWAY_{name.upper()}_URL": f"http://127.0.0.1:{deployment.ports[name]}"
            for name in ("members", "contracts", "billing", "payroll")
        },
    }
    with (logs / "gateway-uncached.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "backoffice.cli", "serve", "gateway", "--role", "api"],
            env=env,
            stdout=log,
            stderr=log,
        )


async def run() -> list[tuple[str, dict[str, float]]]:
    wrk = _ensure_wrk()
    server = os.environ.get("BACKOFFICE_BENCH_DATABASE_URL") or os.environ["BACKOFFICE_TEST_DATABASE_URL"]
    bootstrap = (
        os.environ.get("BACKOFFICE_BENCH_KAFKA_BOOTSTRAP") or os.environ["BACKOFFICE_TEST_KAFKA_BOOTSTRAP"]
    )
    # The bench measures throughput, not the rate limiter: give its client room.
    os.environ["GATEWAY_RATE_LIMIT_QUOTA"] = "1000000000"
    bare_port = _free_port()
    bare = subprocess.Popen([sys.executable, "-m", "tests.perf.bare_app", str(bare_port)])  # noqa: ASYNC220
    results: list[tuple[str, dict[str, float]]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-gateway-") as logs:
            async with distributed(server, bootstrap, Path(logs)) as deployment:
                key = await deployment.api_key("smartfr", "members:read", "members:write")
                member_id = await _a_member(deployment, key)
                await _until(f"http://127.0.0.1:{bare_port}/constant", 200)
                base = str(deployment.gateway.base_url)
                results.append(
                    (
                        "bare FastAPI GET (constant)",
                        await asyncio.to_thread(
                            _wrk, wrk, f"http://127.0.0.1:{bare_port}", "get.lua", BENCH_PATH="/constant"
                        ),
                    )
                )
                results.append(
                    (
                        "gateway GET /v1/members/{id}, read cache",
                        await asyncio.to_thread(
                            _wrk,
                            wrk,
                            base,
                            "get.lua",
                            BENCH_PATH=f"/v1/members/{member_id}",
                            BENCH_API_KEY=key,
                        ),
                    )
                )
                uncached_port = _free_port()
                uncached = _uncached_gateway(deployment, uncached_port, Path(logs))
                try:
                    uncached_base = f"http://127.0.0.1:{uncached_port}"
                    await _until(
                        f"{uncached_base}/v1/members/{member_id}", 200, {"Authorization": f"Bearer {key}"}
                    )
                    results.append(
                        (
                            "gateway GET, read cache off (2nd hop)",
                            await asyncio.to_thread(
                                _wrk,
                                wrk,
                                uncached_base,
                                "get.lua",
                                BENCH_PATH=f"/v1/members/{member_id}",
                                BENCH_API_KEY=key,
                            ),
                        )
                    )
                finally:
                    uncached.terminate()
                    await asyncio.to_thread(uncached.wait, 20)
                results.append(
                    (
                        "gateway POST /v1/members (Idempotency-Key)",
                        await asyncio.to_thread(_wrk, wrk, base, "post_member.lua", BENCH_API_KEY=key),
                    )
                )
    finally:
        bare.terminate()
        bare.wait(timeout=10)
    return results


def main() -> list[Figure]:
    results = asyncio.run(run())
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; wrk -t2 -c{CONNECTIONS} -d{SECONDS}s; distributed mode over Kafka"
    )
    for name, figures in results:
        print(
            f"  {name:<46} {figures['rate']:>9,.0f} req/s  p50 {figures['p50_ms']:6.1f} ms"
            f"  p99 {figures['p99_ms']:6.1f} ms"
            f"  non-2xx {figures['non_2xx']:.0f}  errors {figures['errors']:.0f}"
        )
    bare = results[0][1]
    table: list[Figure] = []
    for label, get in (("cached", results[1][1]), ("uncached", results[2][1])):
        reference = f"bare FastAPI {bare['rate']:,.0f} req/s"
        table.append(
            Figure(
                f"authenticated GET ({label}) / bare",
                get["rate"] / bare["rate"],
                "x",
                Target.at_least(0.5),
                reference,
            )
        )
        table.append(
            Figure(
                f"authenticated GET ({label}) p99, {CONNECTIONS} conns", get["p99_ms"], "ms", Target.below(50)
            )
        )
    post = results[3][1]
    table.append(Figure("POST /v1/members", post["rate"], "req/s", reference=f"p99 {post['p99_ms']:.1f} ms"))
    return table
