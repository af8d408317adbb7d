"""payroll-svc's worker process over Kafka: contracts' WorkReported (two months of one contract) are recorded,
a month's close pays the first month, and the completion pays the last with the paid-leave pay on both, with
no dead letter. The distributed leg of the months e2e without the other services' processes (which a loaded
machine may not start within the deployment's readiness deadline).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from payroll_svc.bootstrap import build
from payroll_svc.config import Settings
from services.db import create_pool
from services.envelope import Envelope
from services.eventstore.store import EventStore
from services.ids import new_event_id
from services.runtime import Resources
from tests.e2e.deployments import fresh_database
from tests.perf.payroll_workers import TENANT, send, start_worker, until

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas" / "jsonschema" / "contracts"
REPORTED: dict[str, Any] = json.loads((SCHEMAS / "WorkReported.v1.json").read_text())["examples"][0]
COMPLETED: dict[str, Any] = json.loads((SCHEMAS / "ContractCompleted.v1.json").read_text())["examples"][0]
WITHIN = 180.0

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(600)]


def envelope(event_type: str, contract_id: UUID, version: int, data: dict[str, Any]) -> Envelope:
    return Envelope(
        event_id=new_event_id(),
        event_type=event_type,
        schema_version=1,
        stream_id=f"contract-{contract_id}",
        stream_version=version,
        occurred_at=datetime.now(UTC),
        tenant=TENANT,
        correlation_id=new_event_id(),
        data=data,
    )


async def test_reported_work_over_kafka_is_paid_month_by_month(
    database_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    contract_id, member_id = uuid4(), uuid4()
    ids = {"contract_id": str(contract_id), "member_id": str(member_id)}
    november = {**REPORTED, **ids, "period_start": "2026-11-23", "period_end": "2026-11-27",
                "minutes": 2100, "hours": "35.00", "gross_cents": 52500}  # fmt: skip
    december = {**REPORTED, **ids, "period_start": "2026-12-01", "period_end": "2026-12-03",
                "minutes": 1260, "hours": "21.00", "gross_cents": 31500}  # fmt: skip
    completed = {**COMPLETED, **ids, "minutes": 3360, "hours": "56.00", "gross_cents": 84000,
                 "period_start": "2026-11-23", "period_end": "2026-12-04",
                 "first_day_worked": "2026-11-23", "last_day_worked": "2026-12-03"}  # fmt: skip
    async with fresh_database(database_url) as url:
        worker = start_worker(url, kafka_bootstrap, tmp_path, "months")
        pool = None
        try:
            await worker.ready()
            await send(
                kafka_bootstrap,
                [
                    envelope("contracts.WorkReported", contract_id, 4, november),
                    envelope("contracts.WorkReported", contract_id, 5, december),
                ],
            )
            conn = await asyncpg.connect(url, server_settings={"search_path": "payroll"})
            try:

                async def both_recorded() -> bool:
                    count = await conn.fetchval(
                        "SELECT count(*) FROM events WHERE stream_id = $1", f"contract-pay-{contract_id}"
                    )
                    return bool(count == 2)

                await until(both_recorded, within=WITHIN, what="the two reports recorded by the worker")
                pool = await create_pool(url, "payroll")
                payroll = build(Resources(Settings(database_url=url), pool, EventStore(pool)))
                closed = await payroll.close_month(date(2026, 11, 1), tenant=TENANT, correlation_id=None)
                assert len(closed) == 1

                completion = envelope("contracts.ContractCompleted", contract_id, 6, completed)
                await send(kafka_bootstrap, [completion])

                async def two_payslips() -> bool:
                    count = await conn.fetchval(
                        "SELECT count(*) FROM payslips WHERE contract_id = $1", contract_id
                    )
                    return bool(count == 2)

                await until(two_payslips, within=WITHIN, what="the completion's payslip")
                rows = await conn.fetch(
                    "SELECT period, issued->'earnings' AS earnings FROM payslips WHERE contract_id = $1"
                    " ORDER BY period",
                    contract_id,
                )
                dead = await conn.fetchval("SELECT count(*) FROM dead_letters")
                salaries = await conn.fetchval("SELECT count(*) FROM salary_payments")
            finally:
                await conn.close()
        finally:
            worker.stop()
            if pool is not None:
                await pool.close()
    earnings = [[(e["code"], e["amount_cents"]) for e in json.loads(r["earnings"])] for r in rows]
    assert [r["period"] for r in rows] == [date(2026, 11, 1), date(2026, 12, 1)]
    assert earnings == [[("salaire_base", 52500)], [("salaire_base", 31500), ("iccp", 8400)]]
    assert (dead, salaries) == (0, 2)
