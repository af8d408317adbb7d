"""The back-office in each mode: `deployment` runs a test body in both.

The distributed deployment (five processes over Kafka, some 20 s to start) is started once for the package and
serves every module: tests keep to their own members, contracts and invoices, and count by difference. The
embedded one is cheap and started per module. Tests that need processes of their own are in tests/system."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.e2e.deployments import Deployment, distributed, embedded


@pytest_asyncio.fixture(scope="package")
async def distributed_deployment(
    database_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Deployment]:
    logs: Path = tmp_path_factory.mktemp("processes")
    async with distributed(database_url, kafka_bootstrap, logs) as deployment:
        yield deployment


@pytest_asyncio.fixture(scope="module")
async def embedded_deployment(database_url: str) -> AsyncIterator[Deployment]:
    async with embedded(database_url) as deployment:
        yield deployment


@pytest.fixture(params=["embedded", pytest.param("distributed", marks=[pytest.mark.kafka, pytest.mark.slow])])
def deployment(request: pytest.FixtureRequest) -> Deployment:
    running: Deployment = request.getfixturevalue(f"{request.param}_deployment")
    return running


@pytest.fixture
def each_mode(embedded_deployment: Deployment, distributed_deployment: Deployment) -> list[Deployment]:
    """Both deployments, for `deployments.in_each_mode_at_once` (mark the test kafka and slow)."""
    return [embedded_deployment, distributed_deployment]
