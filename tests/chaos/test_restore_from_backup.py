"""Backup and restore (issue 9, item 4): contracts-svc's schema is dumped with pg_dump while the back-office
runs, more members are admitted afterwards, then the service is restored from the dump into a fresh database
and started on it. Its consumers resume from the restored database's own record of what it had consumed, so
the members it had heard of after the dump are heard of again (re-read from Kafka), each once; its
projections rebuilt from zero equal the restored read models; its relay publishes what it had not yet, and
a contract drafted on the restored service reaches the bus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.chaos.backup import dump, rebuilt_equals_live, restored
from tests.chaos.checks import until
from tests.chaos.cluster import Cluster
from tests.chaos.test_faults_under_load import api_key
from tests.e2e.deployments import Deployment
from tests.e2e.skeleton import auth
from tests.e2e.test_contracts_api import cddu
from tests.e2e.test_hires import members

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def known(url: str, member_ids: list[str]) -> int:
    conn = await asyncpg.connect(url)
    try:
        found: int = await conn.fetchval(
            "SELECT count(*) FROM contracts.known_members WHERE member_id::text = ANY($1)", member_ids
        )
    finally:
        await conn.close()
    return found


async def inbox_of(url: str, consumer_prefix: str) -> tuple[int, int]:
    """(rows, distinct event ids) of the contracts consumers' inbox."""
    conn = await asyncpg.connect(url)
    try:
        row = await conn.fetchrow(
            "SELECT count(*) AS n, count(DISTINCT (consumer, event_id)) AS d FROM contracts.inbox"
            " WHERE consumer LIKE $1",
            consumer_prefix + "%",
        )
    finally:
        await conn.close()
    assert row is not None
    return row["n"], row["d"]


async def relay_caught_up(url: str) -> bool:
    conn = await asyncpg.connect(url)
    try:
        behind: int = await conn.fetchval(
            "SELECT count(*) FROM contracts.outbox WHERE position >"
            " coalesce((SELECT position FROM contracts.checkpoints WHERE name = 'relay'), 0)"
        )
    finally:
        await conn.close()
    return behind == 0


@pytest.mark.timeout(1200)
async def test_a_service_restored_from_a_dump_resumes_without_loss_or_duplicates(
    cluster: Cluster, tmp_path: Path
) -> None:
    url = cluster.database_url
    key = await api_key(url, "members:read", "members:write", "contracts:read", "contracts:write")
    async with httpx.AsyncClient(base_url=cluster.gateway_url, timeout=30) as gateway:
        deployment = Deployment("distributed", url, gateway)
        before = await members(deployment, key, 3)  # heard of by contracts-svc before the dump
        backup = await dump(url, "contracts", tmp_path)
        after = await members(deployment, key, 3)  # heard of after it: lost with the restore, unless re-read
        contracts = cluster.processes["contracts"]
        await cluster.kill("contracts")
        async with restored(url, backup) as copy:
            assert await known(copy, before) == 3
            assert await known(copy, after) == 0  # the dump was taken before them
            contracts.env = {"CONTRACTS_DATABASE_URL": copy}
            try:
                cluster.spawn("contracts")
                await cluster.until_ready("contracts")

                async def all_known_again() -> bool:
                    return await known(copy, before + after) == 6

                await until(all_known_again, 120, "the members admitted after the dump, heard of again")
                rows, distinct = await inbox_of(copy, "contracts")
                assert rows == distinct  # nothing twice (the inbox's key says so; the counts show it)

                # The relay resumes from the restored checkpoint: a contract drafted now is published.
                draft = cddu(before[0], datetime.now(UTC) + timedelta(days=3))
                drafted = await gateway.post("/v1/contracts", json=draft, headers=auth(key))
                assert drafted.status_code == 201, drafted.text

                async def published() -> bool:
                    return await relay_caught_up(copy)

                await until(published, 120, "the restored relay publishing the outbox")

                replayed, changed = await rebuilt_equals_live(copy, "contracts", tmp_path)
                assert changed == {}
                assert sum(replayed.values()) > 0  # the directory replayed the restored events
            finally:
                # Back on its own database for the other tests of the session.
                await cluster.kill("contracts")
                contracts.env = {}
                cluster.spawn("contracts")
                await cluster.until_ready("contracts")
