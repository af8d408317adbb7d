"""The demo population loaded through the gateway's API, embedded (what `backoffice run --demo` does).

    uv run python -m tests.perf demo      # BACKOFFICE_BENCH_DATABASE_URL, BENCH_DEMO_SCALE (default 1.0)

A fresh database each run, dropped after. At scale 1.0: 3,820 members (apply, admit, subscribe, pay in
instalments) and 150 associations, some 17,700 API calls, 8 at a time; then the time until the capital
table shows all of SmartFr's capital (the projections caught up).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

from backoffice.credentials import ensure_dev_credentials
from backoffice.demo import DEMO_NOMINALS, generate, load
from backoffice.embedded import EmbeddedBackoffice

SCALE = float(os.environ.get("BENCH_DEMO_SCALE", "1.0"))


def dsn() -> str:
    url = os.environ.get("BACKOFFICE_BENCH_DATABASE_URL") or os.environ.get("BACKOFFICE_TEST_DATABASE_URL")
    if not url:
        raise SystemExit("set BACKOFFICE_BENCH_DATABASE_URL (or BACKOFFICE_TEST_DATABASE_URL)")
    return url


async def run() -> None:
    name = f"bench_demo_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(dsn())
    await admin.execute(f"CREATE DATABASE {name}")
    await admin.close()
    url = dsn().rsplit("/", 1)[0] + f"/{name}"
    backoffice = EmbeddedBackoffice(
        url, poll_interval=0.2, rate_limit_quota=1_000_000, share_nominals=dict(DEMO_NOMINALS)
    )
    await backoffice.start()
    try:
        keys = await ensure_dev_credentials(backoffice.gateway.pool, _scratch() / "keys.json")
        population = generate(scale=SCALE)
        transport = httpx.ASGITransport(app=backoffice.gateway.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=60) as gateway:
            report = await load(gateway, keys, population)
            expected = sum(m.subscribed_cents for m in population.of("smartfr"))
            started = time.perf_counter()
            while True:
                capital = await gateway.get(
                    "/v1/capital", headers={"Authorization": f"Bearer {keys['smartfr']}"}
                )
                if capital.json()["subscribed_cents"] == expected:
                    break
                await asyncio.sleep(0.1)
            caught_up = time.perf_counter() - started
        print(f"members: {report.members}, associations: {report.structures}, API calls: {report.requests}")
        print(f"load: {report.seconds:.1f} s ({report.requests / report.seconds:.0f} calls/s, 8 at a time)")
        load_average = os.getloadavg()[0]
        print(
            f"capital table complete {caught_up:.1f} s after the last call; load average {load_average:.2f}"
        )
    finally:
        await backoffice.stop()
        admin = await asyncpg.connect(dsn())
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


def _scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="bench_demo_"))


def main() -> None:
    asyncio.run(run())
