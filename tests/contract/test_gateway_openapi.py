"""schemathesis against the committed OpenAPI document, on the running gateway (embedded mode).

Every operation, cases generated from the document with a fixed seed: no 5xx ever, and every response
conforms to the document (status, content type, headers, body schema). The gateway runs as `backoffice run`
in its own process, as an integrator would meet it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import schemathesis
from hypothesis import HealthCheck, seed, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.e2e.deployments import fresh_database

DOCUMENT = Path(__file__).resolve().parents[2] / "gateway" / "openapi.json"
schema = schemathesis.openapi.from_path(DOCUMENT)
# 30 a operation: over 2,000 cases in all (the last test checks a thousand at least), in a third of the time
# 100 took (the suite must stay well under 30 minutes on 2 cores).
EXAMPLES_PER_OPERATION = 30
CASES_SENT: Counter[str] = Counter()  # operation -> cases sent, checked by the last test

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class RunningGateway:
    base_url: str
    api_key: str


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest_asyncio.fixture(scope="module")
async def database(database_url: str) -> AsyncIterator[str]:
    async with fresh_database(database_url) as url:
        yield url


@pytest.fixture(scope="module")
def running_gateway(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    var_dir = tmp_path_factory.mktemp("gateway")
    port = _free_port()
    log = (var_dir / "backoffice.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "backoffice.cli",
            "--var-dir",
            str(var_dir),
            "run",
            "--port",
            str(port),
            "--database-url",
            database,
        ],
        stdout=log,
        stderr=log,
        # Over a thousand cases from one client: the rate limiter has its own tests.
        env={**os.environ, "GATEWAY_RATE_LIMIT_QUOTA": "1000000000"},
    )
    credentials = var_dir / "dev-credentials.json"
    deadline = time.monotonic() + 60
    while not (credentials.exists() and _answers(f"http://127.0.0.1:{port}/healthz")):
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError((var_dir / "backoffice.log").read_text()[-3000:])
        time.sleep(0.1)  # another process is starting: nothing here to await on
    yield RunningGateway(f"http://127.0.0.1:{port}", json.loads(credentials.read_text())["smartfr"])
    process.terminate()
    process.wait(timeout=30)
    log.close()


@schema.parametrize()
@seed(20261126)
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_every_operation_answers_as_its_document_says_and_never_with_a_5xx(
    case: schemathesis.Case, running_gateway: RunningGateway
) -> None:
    CASES_SENT[f"{case.method} {case.path}"] += 1
    case.call_and_validate(
        base_url=running_gateway.base_url,
        headers={"Authorization": f"Bearer {running_gateway.api_key}"},
        # Opaque tokens (a cursor, an If-Match ETag) are strings by the document yet refused when they are not
        # ones this API gave: a 400 naming them is right, not a rejection of valid data.
        excluded_checks=[positive_data_acceptance],
    )


def test_at_least_a_thousand_generated_cases_were_sent() -> None:
    if not CASES_SENT:
        pytest.skip("counts the cases of the test above, which did not run in this session")
    assert sum(CASES_SENT.values()) >= 1000, CASES_SENT
    documented = {f"{op.ok().method.upper()} {op.ok().path}" for op in schema.get_all_operations()}
    assert documented <= set(CASES_SENT), documented - set(CASES_SENT)
