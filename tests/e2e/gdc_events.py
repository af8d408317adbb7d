"""Public events of the real schemas, published the way their producer publishes them: a row in the
producer's outbox. Embedded, billing reads that outbox as the log; distributed, the producer's relay sends it
to Kafka. Used where a test or benchmark needs many payslips without running the payroll engine for each."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg

from schemas.generated.members.employer_structure_registered_v1 import EmployerStructureRegisteredV1
from schemas.generated.payroll.payslip_issued_v1 import PayslipIssuedV1
from services.db import chassis_migrations, migrate
from services.envelope import Envelope


@dataclass(frozen=True)
class Payslip:
    employer_id: uuid.UUID
    period: str
    gross_cents: int
    employer_cost_cents: int
    corrects: uuid.UUID | None = None
    payslip_id: uuid.UUID = field(default_factory=uuid.uuid4)


def payslip_issued(tenant: str, payslip: Payslip) -> Envelope:
    """A `payroll.PayslipIssued` v1 envelope, its data checked by the generated model of the schema."""
    employer_lines = payslip.employer_cost_cents - payslip.gross_cents
    data = PayslipIssuedV1.model_validate(
        {
            "payslip_id": payslip.payslip_id,
            "contract_id": uuid.uuid4(),
            "member_id": uuid.uuid4(),
            "employer_id": payslip.employer_id,
            "period": payslip.period,
            "corrects_payslip_id": payslip.corrects,
            "lines": [
                {
                    "code": "maladie",
                    "label": "Sécurité sociale - Maladie",
                    "base_cents": payslip.gross_cents,
                    "employee_rate": "0",
                    "employer_rate": "0.13",
                    "employee_cents": 0,
                    "employer_cents": employer_lines,
                }
            ],
            "gross_cents": payslip.gross_cents,
            "net_before_tax_cents": payslip.gross_cents * 78 // 100,
            "net_taxable_cents": payslip.gross_cents * 81 // 100,
            "withholding_cents": 0,
            "net_paid_cents": payslip.gross_cents * 78 // 100,
            "employer_cost_cents": payslip.employer_cost_cents,
            "issued_at": datetime.now(UTC),
        }
    )
    return _envelope(
        tenant, "payroll.PayslipIssued", f"payslip-{payslip.payslip_id}", data.model_dump(mode="json")
    )


def employer_registered(
    tenant: str, employer_id: uuid.UUID, siret: str, legal_name: str, address: dict[str, str] | None = None
) -> Envelope:
    """`address` None: as members-svc published before it carried the establishment's address (ADR 024)."""
    data = EmployerStructureRegisteredV1.model_validate(
        {
            "employer_structure_id": employer_id,
            "siret": siret,
            "legal_name": legal_name,
            "kind": "association",
            "registered_at": datetime.now(UTC),
            "address": address,
        }
    )
    return _envelope(
        tenant,
        "members.EmployerStructureRegistered",
        f"employer-{employer_id}",
        data.model_dump(mode="json", exclude_none=True),
    )


def _envelope(tenant: str, event_type: str, stream_id: str, data: dict[str, Any]) -> Envelope:
    return Envelope(
        event_id=uuid.uuid4(),
        event_type=event_type,
        schema_version=1,
        stream_id=stream_id,
        stream_version=1,
        occurred_at=datetime.now(UTC),
        tenant=tenant,
        correlation_id=uuid.uuid4(),
        data=data,
    )


async def producer_outbox(database_url: str, schema: str) -> None:
    """The producer's schema with the chassis tables (its outbox), for a test that runs billing alone."""
    conn = await asyncpg.connect(database_url)
    try:
        await migrate(conn, schema, chassis_migrations())
    finally:
        await conn.close()


async def publish(database_url: str, schema: str, envelopes: Sequence[Envelope]) -> None:
    """Append the envelopes to `<schema>.outbox` in one transaction, as the producer's append does."""
    conn = await asyncpg.connect(database_url, server_settings={"search_path": schema})
    try:
        async with conn.transaction():
            await conn.executemany(
                """INSERT INTO outbox (topic, message_key, event_id, envelope)
                   VALUES ($1, $2, $3, $4::jsonb)""",
                [
                    (e.topic(), e.stream_id, e.event_id, json.dumps(e.model_dump(mode="json")))
                    for e in envelopes
                ],
            )
        await conn.execute(f'NOTIFY "{schema}.outbox"')  # wake the readers at once (they poll otherwise)
    finally:
        await conn.close()
