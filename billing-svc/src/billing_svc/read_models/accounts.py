"""The activity accounts' movements and entries as the API lists them, written in the append's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from billing_svc.domain.accounts import activity_effect
from billing_svc.domain.accounts.events import (
    AccountEvent,
    ExpenseClaimed,
    GuaranteeFundCovered,
    GuaranteeFundRecovered,
    PaymentCredited,
    PayslipDebited,
)
from services.log_reader import Conn


async def record(conn: Conn, tenant: str, version: int, event: AccountEvent) -> None:
    """A movement's statement line and its entries; reservations are not movements."""
    row = _movement(event)
    if row is None:
        return
    kind, reference, invoice, contract, description, gross, rate, contribution = row
    movement: Any = event
    await conn.execute(
        """INSERT INTO account_movements (tenant, activity_id, stream_version, kind, on_day, reference_id,
               invoice_id, contract_id, description, gross_cents, contribution_rate, contribution_cents,
               activity_cents, balance_after_cents, recorded_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
           ON CONFLICT DO NOTHING""",
        tenant,
        movement.activity_id,
        version,
        kind,
        movement.on,
        reference,
        invoice,
        contract,
        description,
        gross,
        rate,
        contribution,
        activity_effect(movement.entries),
        movement.balance_after_cents,
        movement.recorded_at,
    )
    await conn.executemany(
        """INSERT INTO account_entries (tenant, activity_id, stream_version, line, label, debit_account,
               credit_account, amount_cents, on_day, recorded_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING""",
        [
            (
                tenant,
                movement.activity_id,
                version,
                line,
                entry.label,
                next(leg.account for leg in entry.legs if leg.side == "debit"),
                next(leg.account for leg in entry.legs if leg.side == "credit"),
                entry.legs[0].amount_cents,
                movement.on,
                movement.recorded_at,
            )
            for line, entry in enumerate(movement.entries, start=1)
        ],
    )


_Row = tuple[str, UUID, UUID | None, UUID | None, str, int, Decimal | None, int]


def _movement(event: AccountEvent) -> _Row | None:
    match event:
        case PaymentCredited():
            return (
                "payment",
                event.payment_id,
                event.invoice_id,
                None,
                "Client payment",
                event.amount_excluding_vat_cents,
                event.contribution_rate,
                event.contribution_cents,
            )
        case GuaranteeFundCovered():
            return (
                "guarantee_fund",
                event.invoice_id,
                event.invoice_id,
                None,
                "Guarantee fund advance on an unpaid invoice",
                event.amount_excluding_vat_cents,
                event.contribution_rate,
                event.contribution_cents,
            )
        case GuaranteeFundRecovered():
            return (
                "fund_recovery",
                event.invoice_id,
                event.invoice_id,
                None,
                "Recovered for the guarantee fund",
                event.amount_excluding_vat_cents,
                None,
                0,
            )
        case PayslipDebited():
            return (
                "payslip",
                event.payslip_id,
                None,
                event.contract_id,
                f"Payslip {event.period}" + (" (correction)" if event.corrects_payslip_id else ""),
                event.employer_cost_cents,
                None,
                0,
            )
        case ExpenseClaimed():
            return (
                "expense_claim",
                event.claim_id,
                None,
                None,
                event.description,
                event.amount_cents - event.vat_cents,
                None,
                0,
            )
    return None


async def remember_contract(conn: Conn, tenant: str, contract_id: UUID, activity_id: UUID) -> None:
    await conn.execute(
        """INSERT INTO contract_activities (tenant, contract_id, activity_id) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING""",
        tenant,
        contract_id,
        activity_id,
    )


async def activity_of_contract(conn: Conn, tenant: str, contract_id: UUID) -> UUID | None:
    found: UUID | None = await conn.fetchval(
        "SELECT activity_id FROM contract_activities WHERE tenant = $1 AND contract_id = $2",
        tenant,
        contract_id,
    )
    return found


@dataclass(frozen=True)
class EntryRow:
    stream_version: int
    line: int
    label: str
    debit_account: str
    credit_account: str
    amount_cents: int
    on_day: date
    recorded_at: datetime


async def entries_after(
    conn: Conn, tenant: str, activity_id: UUID, after: tuple[int, int] | None, limit: int
) -> list[EntryRow]:
    version, line = after or (0, 0)
    rows = await conn.fetch(
        """SELECT stream_version, line, label, debit_account, credit_account, amount_cents, on_day,
                  recorded_at
           FROM account_entries WHERE tenant = $1 AND activity_id = $2 AND (stream_version, line) > ($3, $4)
           ORDER BY stream_version, line LIMIT $5""",
        tenant,
        activity_id,
        version,
        line,
        limit,
    )
    return [EntryRow(**dict(r)) for r in rows]


@dataclass(frozen=True)
class MovementRow:
    stream_version: int
    kind: str
    on_day: date
    reference_id: UUID
    invoice_id: UUID | None
    contract_id: UUID | None
    description: str
    gross_cents: int
    contribution_rate: Decimal | None
    contribution_cents: int
    activity_cents: int
    balance_after_cents: int


async def statement_rows(
    conn: Conn, tenant: str, activity_id: UUID, first: date, last: date
) -> tuple[int, list[MovementRow]]:
    """The balance before `first` and the movements from `first` to `last` (business days, inclusive)."""
    # Summed by business day, not read from a stored balance: a movement of an earlier day may be recorded
    # after one of a later day (a payment received on the 30th, recorded on the 2nd).
    opening = await conn.fetchval(
        """SELECT coalesce(sum(activity_cents), 0) FROM account_movements
           WHERE tenant = $1 AND activity_id = $2 AND on_day < $3""",
        tenant,
        activity_id,
        first,
    )
    rows = await conn.fetch(
        """SELECT stream_version, kind, on_day, reference_id, invoice_id, contract_id, description,
                  gross_cents, contribution_rate, contribution_cents, activity_cents, balance_after_cents
           FROM account_movements WHERE tenant = $1 AND activity_id = $2 AND on_day BETWEEN $3 AND $4
           ORDER BY on_day, stream_version""",
        tenant,
        activity_id,
        first,
        last,
    )
    return int(opening or 0), [MovementRow(**dict(r)) for r in rows]
