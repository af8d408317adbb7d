"""What a round checks once the load has stopped: the system drains, then every acknowledged hire has
exactly its effects, once, counted in the event streams (by type) and in the read models; nothing is dead-
lettered; and each projection equals its rebuild from zero."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from uuid import UUID

import asyncpg

from tests.chaos.load import Load

# Each contract of an accepted hire, exactly once each: drafted, declared (DPAE), signed, its work, its
# completion; of a hire refused as late: drafted, and flagged.
CONTRACT_EVENTS = ("ContractDrafted", "HireDeclared", "ContractSigned", "WorkReported", "ContractCompleted")
LATE_CONTRACT_EVENTS = ("ContractDrafted", "LateHireDeclarationFlagged")
SCHEMAS = ("gateway", "members", "contracts", "billing", "payroll")
STREAM_COUNTS = (
    "SELECT stream_id, event_type, count(*) FROM {schema}.events WHERE stream_id = ANY($1) GROUP BY 1, 2"
)


@dataclass
class Counts:
    acknowledged_hires: int = 0
    accepted_hires: int = 0
    late_hires: int = 0  # refused as a late DPAE after an outage longer than the lead
    contracts: int = 0
    completed_contracts: int = 0
    payslips: int = 0
    scheduled_payments: int = 0
    statement_lines: int = 0  # the payslip on its association's GDC month (billing.gdc_payslips)
    contract_events: Counter[str] = field(default_factory=Counter)
    hire_events: Counter[str] = field(default_factory=Counter)
    payroll_events: Counter[str] = field(default_factory=Counter)
    duplicates: list[str] = field(default_factory=list)  # effects found more than once
    dead_letters: dict[str, int] = field(default_factory=dict)


async def until(condition: Callable[[], Awaitable[bool]], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not drained after {within} s: {what}")
        await asyncio.sleep(0.5)  # polling the read models of a system catching up


async def drained(url: str, load: Load, within: float) -> None:
    """Until every accepted hire's contract is completed and has its payslip and scheduled salary."""
    contracts = [UUID(h.contract_id) for h in load.accepted]

    async def done() -> bool:
        conn = await asyncpg.connect(url)
        try:
            completed = await conn.fetchval(
                "SELECT count(*) FROM contracts.contract_directory"
                " WHERE contract_id = ANY($1) AND status = 'completed'",
                contracts,
            )
            scheduled = await conn.fetchval(
                "SELECT count(*) FROM payroll.payslips p"
                " JOIN payroll.salary_payments s USING (tenant, payslip_id) WHERE p.contract_id = ANY($1)",
                contracts,
            )
            on_statement = await conn.fetchval(
                "SELECT count(*) FROM payroll.payslips p"
                " JOIN billing.gdc_payslips b USING (tenant, payslip_id) WHERE p.contract_id = ANY($1)",
                contracts,
            )
        finally:
            await conn.close()
        return bool(completed == scheduled == on_statement == len(contracts))

    await until(done, within, f"{len(contracts)} contracts to complete, pay-slip, schedule and bill")


async def _count_events(
    conn: asyncpg.Connection, schema: str, streams: list[str], into: Counter[str], duplicates: list[str]
) -> None:
    """Events of `streams` by type into `into`; a type seen twice in one stream is a duplicate."""
    for stream, event_type, n in await conn.fetch(STREAM_COUNTS.format(schema=schema), streams):
        into[event_type] += n
        if n > 1:
            duplicates.append(f"{stream}: {event_type} x{n}")


async def count(url: str, load: Load) -> Counts:
    acknowledged = load.acknowledged
    contracts = [UUID(h.contract_id) for h in acknowledged]
    counts = Counts(len(acknowledged), len(load.accepted), len(acknowledged) - len(load.accepted))
    conn = await asyncpg.connect(url)
    try:
        counts.contracts = await conn.fetchval(
            "SELECT count(*) FROM contracts.contract_directory WHERE employer_id = $1",
            UUID(load.structure["id"]),
        )
        counts.completed_contracts = await conn.fetchval(
            "SELECT count(*) FROM contracts.contract_directory"
            " WHERE contract_id = ANY($1) AND status = 'completed'",
            contracts,
        )
        contracts = [UUID(h.contract_id) for h in load.accepted]  # the paid ones, from here on
        streams = [f"contract-{h.contract_id}" for h in acknowledged]
        await _count_events(conn, "contracts", streams, counts.contract_events, counts.duplicates)
        hires = [f"hire-{h.hire_id}" for h in acknowledged]
        await _count_events(conn, "contracts", hires, counts.hire_events, counts.duplicates)
        for contract_id, n in await conn.fetch(
            "SELECT contract_id, count(*) FROM payroll.payslips WHERE contract_id = ANY($1) GROUP BY 1",
            contracts,
        ):
            counts.payslips += n
            if n > 1:
                counts.duplicates.append(f"payslips of contract {contract_id}: {n}")
        payslips = [
            r["payslip_id"]
            for r in await conn.fetch(
                "SELECT payslip_id FROM payroll.payslips WHERE contract_id = ANY($1)", contracts
            )
        ]
        counts.scheduled_payments = await conn.fetchval(
            "SELECT count(*) FROM payroll.salary_payments"
            " WHERE payslip_id = ANY($1) AND status = 'scheduled'",
            payslips,
        )
        # One line per payslip: billing keys them by payslip id, and its inbox keeps a repeat from counting.
        counts.statement_lines = await conn.fetchval(
            "SELECT count(*) FROM billing.gdc_payslips WHERE payslip_id = ANY($1)", payslips
        )
        payroll_streams = [f"payslip-{p}" for p in payslips] + [f"salary-payment-{p}" for p in payslips]
        await _count_events(conn, "payroll", payroll_streams, counts.payroll_events, counts.duplicates)
        # The public events too: one outbox row per effect (a duplicate there is a duplicate downstream).
        for schema, keys in (("contracts", streams), ("payroll", payroll_streams)):
            for key, event_type, n in await conn.fetch(
                f"SELECT message_key, envelope->>'event_type', count(*) FROM {schema}.outbox"
                " WHERE message_key = ANY($1) GROUP BY 1, 2 HAVING count(*) > 1",
                keys,
            ):
                counts.duplicates.append(f"{schema} outbox {key}: {event_type} x{n}")
        for schema in SCHEMAS:
            counts.dead_letters[schema] = await conn.fetchval(
                f"SELECT count(*) FROM {schema}.dead_letters WHERE replayed_at IS NULL"
            )
    finally:
        await conn.close()
    return counts
