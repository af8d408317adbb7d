"""Faults under load (issue 9, item 1): an association pushes signed hires and their work is reported while
every process of the distributed back-office is killed in turn, the Kafka broker restarted, PostgreSQL
crashed and a payroll replica frozen past its session timeout. Once the load stops and the system drains,
every hire the gateway acknowledged has exactly one contract, one payslip, one scheduled salary, with no
effect twice, nothing dead-lettered, and each projection equal to its rebuild from zero.

`make test` runs one short round; `make chaos ROUNDS=n` runs n (CHAOS_ROUNDS), each printing its counts.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from gateway.auth.api_keys import create_client
from services.testkit.infrastructure import KafkaBroker, PostgresServer
from tests.chaos.backup import rebuilt_equals_live
from tests.chaos.checks import CONTRACT_EVENTS, LATE_CONTRACT_EVENTS, count, drained
from tests.chaos.cluster import Cluster
from tests.chaos.faults import FaultInjector
from tests.chaos.load import Load, LoadSettings
from tests.e2e.deployments import API_VERSION, Deployment
from tests.e2e.test_hires import TENANT, association, members

ROUNDS = int(os.environ.get("CHAOS_ROUNDS", "1"))
BETWEEN_FAULTS = float(os.environ.get("CHAOS_BETWEEN_FAULTS", "3"))
DRAIN_WITHIN = 240.0
REPORT = os.environ.get("CHAOS_REPORT")  # a JSON lines file each round's report is appended to

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def api_key(url: str, *scopes: str) -> str:
    conn = await asyncpg.connect(url, server_settings={"search_path": "gateway"})
    try:
        client = await create_client(
            conn, tenant=TENANT, name="chaos", scopes=list(scopes), api_version=API_VERSION
        )
    finally:
        await conn.close()
    return client.api_key


@pytest.mark.timeout(900 + 600 * ROUNDS)
async def test_acknowledged_hires_get_their_effects_exactly_once_through_faults(
    cluster: Cluster,
    chaos_kafka: KafkaBroker,
    chaos_postgres: PostgresServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    url = cluster.database_url
    async with httpx.AsyncClient(base_url=cluster.gateway_url, timeout=10) as gateway:
        deployment = Deployment("distributed", url, gateway)
        key = await api_key(url, "members:read", "members:write", "contracts:read", "contracts:write")
        sender = await association(deployment)
        settings = LoadSettings()
        people = await members(deployment, key, settings.members)
        for number in range(1, ROUNDS + 1):
            report = await one_round(
                cluster, chaos_kafka, chaos_postgres, gateway, sender, key, people, number, tmp_path
            )
            with capsys.disabled():
                print(f"\nchaos round {number}: {json.dumps(report)}", flush=True)


def _append(path: Path, line: str) -> None:
    with path.open("a") as out:
        out.write(line + "\n")


async def one_round(
    cluster: Cluster,
    kafka: KafkaBroker,
    postgres: PostgresServer,
    gateway: httpx.AsyncClient,
    sender: Any,
    key: str,
    people: list[str],
    number: int,
    scratch: Path,
) -> dict[str, Any]:
    started = time.monotonic()
    load = Load(LoadSettings(), gateway, sender, key, people)
    injector = FaultInjector(cluster, kafka, postgres, round_number=number)
    stop = asyncio.Event()
    pushing = asyncio.create_task(load.push_hires(stop, deadline_after_stop=120))
    reporting = asyncio.create_task(load.report_work(stop))
    try:
        await injector.run(between=BETWEEN_FAULTS)
    finally:
        stop.set()
    await pushing
    await asyncio.wait_for(reporting, DRAIN_WITHIN)
    assert not load.wrong, f"answers no retry changes: {load.wrong[:10]}\n{cluster.tail()}"
    await drained(cluster.database_url, load, DRAIN_WITHIN)
    counts = await count(cluster.database_url, load)
    rebuilds = {}
    for service in ("members", "contracts", "billing", "payroll"):
        replayed, changed = await rebuilt_equals_live(cluster.database_url, service, scratch)
        rebuilds[service] = {"replayed": replayed, "changed_tables": changed}
    report = {
        "round": number,
        "seconds": round(time.monotonic() - started),
        "load_average": os.getloadavg(),
        "acknowledged_hires": counts.acknowledged_hires,
        "accepted_hires": counts.accepted_hires,
        "late_hires": counts.late_hires,
        "contracts": counts.contracts,
        "completed_contracts": counts.completed_contracts,
        "payslips": counts.payslips,
        "scheduled_payments": counts.scheduled_payments,
        "statement_lines": counts.statement_lines,
        "contract_events": dict(counts.contract_events),
        "hire_events": dict(counts.hire_events),
        "payroll_events": dict(counts.payroll_events),
        "dead_letters": counts.dead_letters,
        "duplicates": counts.duplicates[:20],
        "faults": dict(injector.injected),
        "fault_timeline": [(round(at, 1), name, round(took, 1)) for at, name, took in injector.timeline],
        "gateway_answers": dict(load.answers),
        "rebuilds": rebuilds,
    }
    if REPORT:  # kept before the checks, so that a failed round is on record too
        await asyncio.to_thread(_append, Path(REPORT), json.dumps(report))
    n, accepted, late = counts.acknowledged_hires, counts.accepted_hires, counts.late_hires
    assert accepted > 0, report
    assert counts.duplicates == [], report
    # Every acknowledged hire has its one contract; the accepted ones are completed, paid-slipped, scheduled
    # and on their association's monthly statement.
    effects = (
        counts.contracts,
        counts.completed_contracts,
        counts.payslips,
        counts.scheduled_payments,
        counts.statement_lines,
    )
    assert effects == (n, accepted, accepted, accepted, accepted), report
    expected = Counter({event_type: accepted for event_type in CONTRACT_EVENTS})
    expected.update({event_type: late for event_type in LATE_CONTRACT_EVENTS})
    assert counts.contract_events == +expected, report
    assert counts.hire_events == +Counter({"HireAccepted": accepted, "HireRejected": late}), report
    assert counts.payroll_events == {"PayslipIssued": accepted, "SalaryScheduled": accepted}, report
    assert sum(counts.dead_letters.values()) == 0, report
    assert all(not r["changed_tables"] for r in rebuilds.values()), report
    return report
