"""The read models of payslips and salary payments, written in the transaction that records their events.

The same functions rebuild them by replay (payroll_projection): each row is what its events say (no clock
read here), and applying an event again changes nothing (an insert does nothing on its key, an update of a
salary payment only moves it to a later version of its stream)."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple
from uuid import UUID

from payroll_svc.domain.payments import (
    OverpaymentRecorded,
    SalaryPaid,
    SalaryPaymentEvent,
    SalaryPaymentRejected,
    SalaryScheduled,
)
from payroll_svc.domain.payments.journal import (
    PaymentRunAbandoned,
    PaymentRunEvent,
    PaymentRunRecorded,
    PaymentRunStarted,
)
from payroll_svc.domain.payslips import PayslipIssued
from services.log_reader import Conn


async def record_payslip(conn: Conn, tenant: str, event: PayslipIssued) -> None:
    await conn.execute(
        """INSERT INTO payslips (tenant, payslip_id, contract_id, member_id, employer_id, period,
               corrects_payslip_id, gross_cents, net_paid_cents, employer_cost_cents, issued_at, issued,
               ceiling_cents)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13)
           ON CONFLICT (tenant, payslip_id) DO NOTHING""",
        tenant,
        event.payslip_id,
        event.contract_id,
        event.member_id,
        event.employer_id,
        event.period,
        event.corrects_payslip_id,
        event.gross_cents,
        event.net_paid_cents,
        event.employer_cost_cents,
        event.issued_at,
        event.model_dump_json(),
        event.ceiling_cents,
    )


async def lock_month_and_ceiling_used(conn: Conn, tenant: str, member_id: UUID, month: date) -> int:
    """What the person's payslips of the month (corrected ones aside) used of the PMSS, read under a lock on
    the person's month for this transaction (two contracts' payslips of the month must not both take the
    same share), in one round trip: the SQL function of migration 008."""
    used = await conn.fetchval("SELECT ceiling_used_under_month_lock($1, $2, $3)", tenant, member_id, month)
    return int(used)


async def record_unpaid_work(conn: Conn, tenant: str, contract_id: UUID, earliest_month: date | None) -> None:
    if earliest_month is None:
        await conn.execute(
            "DELETE FROM unpaid_work WHERE tenant = $1 AND contract_id = $2", tenant, contract_id
        )
        return
    await conn.execute(
        """INSERT INTO unpaid_work (tenant, contract_id, earliest_month) VALUES ($1, $2, $3)
           ON CONFLICT (tenant, contract_id) DO UPDATE SET earliest_month = EXCLUDED.earliest_month""",
        tenant,
        contract_id,
        earliest_month,
    )


async def contracts_with_unpaid_work(conn: Conn, tenant: str, month: date) -> list[UUID]:
    rows = await conn.fetch(
        """SELECT contract_id FROM unpaid_work WHERE tenant = $1 AND earliest_month <= $2
           ORDER BY contract_id""",
        tenant,
        month,
    )
    return [row[0] for row in rows]


async def record_salary_event(conn: Conn, tenant: str, version: int, event: SalaryPaymentEvent) -> None:
    match event:
        case OverpaymentRecorded():
            await conn.execute(
                """INSERT INTO overpayments (tenant, payslip_id, corrects_payslip_id, member_id, amount_cents,
                       status, recorded_at)
                   VALUES ($1, $2, $3, $4, $5, 'to_recover', $6)
                   ON CONFLICT (tenant, payslip_id) DO NOTHING""",
                tenant,
                event.payslip_id,
                event.corrects_payslip_id,
                event.member_id,
                event.amount_cents,
                event.recorded_at,
            )
        case SalaryScheduled():
            await conn.execute(
                """INSERT INTO salary_payments (tenant, payslip_id, member_id, net_cents, last_day_worked,
                       due_on, status, version, scheduled_at)
                   VALUES ($1, $2, $3, $4, $5, $6, 'scheduled', $7, $8)
                   ON CONFLICT (tenant, payslip_id) DO NOTHING""",
                tenant,
                event.payslip_id,
                event.member_id,
                event.net_cents,
                event.last_day_worked,
                event.due_on,
                version,
                event.scheduled_at,
            )
        case SalaryPaid():
            await conn.execute(
                """UPDATE salary_payments SET status = 'paid', paid_on = $3, on_time = $4, run_id = $5,
                       rejection = NULL, version = $6
                   WHERE tenant = $1 AND payslip_id = $2 AND version < $6""",
                tenant,
                event.payslip_id,
                event.paid_on,
                event.on_time,
                event.run_id,
                version,
            )
        case SalaryPaymentRejected():
            await conn.execute(
                """UPDATE salary_payments SET status = 'rejected', run_id = $3, rejection = $4, version = $5
                   WHERE tenant = $1 AND payslip_id = $2 AND version < $5""",
                tenant,
                event.payslip_id,
                event.run_id,
                event.reason,
                version,
            )


async def record_payment_run(conn: Conn, tenant: str, events: list[PaymentRunEvent]) -> None:
    for event in events:
        match event:
            case PaymentRunStarted():
                await conn.execute(
                    """INSERT INTO payment_runs (tenant, run_id, run_on, status, salaries, started_at)
                       VALUES ($1, $2, $3, 'sending', $4, $5)
                       ON CONFLICT (tenant, run_id) DO NOTHING""",
                    tenant,
                    event.run_id,
                    event.run_on,
                    len(event.payments),
                    event.started_at,
                )
            case PaymentRunRecorded() | PaymentRunAbandoned():
                status = "recorded" if isinstance(event, PaymentRunRecorded) else "abandoned"
                await conn.execute(
                    "UPDATE payment_runs SET status = $3 WHERE tenant = $1 AND run_id = $2",
                    tenant,
                    event.run_id,
                    status,
                )


class RunAnswer(NamedTuple):
    status: str  # paid or rejected
    on_time: bool | None
    rejection: str | None


async def run_answers(conn: Conn, tenant: str, run_id: str, payslip_ids: list[UUID]) -> dict[UUID, RunAnswer]:
    """The bank's answers to the run for its salaries, those not paid by a later run since."""
    rows = await conn.fetch(
        """SELECT payslip_id, status, on_time, rejection FROM salary_payments
           WHERE tenant = $1 AND payslip_id = ANY($2::uuid[]) AND run_id = $3""",
        tenant,
        payslip_ids,
        run_id,
    )
    return {row["payslip_id"]: RunAnswer(row["status"], row["on_time"], row["rejection"]) for row in rows}


async def runs_sending(conn: Conn, tenant: str) -> list[str]:
    """The runs journaled as sent to the bank whose answers are not recorded: interrupted."""
    rows = await conn.fetch(
        "SELECT run_id FROM payment_runs WHERE tenant = $1 AND status = 'sending' ORDER BY started_at", tenant
    )
    return [row[0] for row in rows]


class Declared(NamedTuple):
    issued: str  # the payslip's PayslipIssued, as JSON
    corrected: str | None  # for a correction, the PayslipIssued it corrects
    paid_on: date  # the day its salary is paid or due; a cut, paying nothing, the day it was issued


async def paid_in_month(conn: Conn, tenant: str, first: date, last: date, *, siret: str) -> list[Declared]:
    """What the DSN of the establishment `siret` declares for the month: the payslips of its contracts whose
    salary is paid, or due, in it (a DSN declares pay in the month it is paid in), and the corrections that
    take effect in it (a raise when its difference is paid, a cut when it is issued). A corrected payslip
    stays in its own month's DSN: that one was sent with it."""
    rows = await conn.fetch(
        """SELECT p.issued::text, o.issued::text,
                  coalesce(s.paid_on, s.due_on, (p.issued_at AT TIME ZONE 'Europe/Paris')::date) AS paid_on
           FROM payslips p JOIN contract_establishments e USING (tenant, contract_id)
                LEFT JOIN salary_payments s USING (tenant, payslip_id)
                LEFT JOIN payslips o ON o.tenant = p.tenant AND o.payslip_id = p.corrects_payslip_id
           WHERE p.tenant = $1 AND e.siret = $4
             AND (s.payslip_id IS NOT NULL OR p.corrects_payslip_id IS NOT NULL)
             AND coalesce(s.paid_on, s.due_on, (p.issued_at AT TIME ZONE 'Europe/Paris')::date)
                 BETWEEN $2 AND $3
           ORDER BY p.member_id, p.issued_at, p.payslip_id""",
        tenant,
        first,
        last,
        siret,
    )
    return [Declared(row[0], row[1], row[2]) for row in rows]
