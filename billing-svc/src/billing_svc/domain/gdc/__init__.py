"""The GDC month of one association: closed once, with its payslips' totals and the fee, then invoiced.

A stream per association and month (`gdc-month-<employer>-<YYYY-MM>`): closing it twice decides nothing, so a
repeated or resumed monthly run finds the month closed and goes on with the same invoice id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

__all__ = [
    "CloseGdcMonth",
    "ClosedMonth",
    "GdcMonthClosed",
    "GdcMonthState",
    "MonthTotals",
    "NoMonth",
    "NothingToInvoice",
    "decide",
    "evolve",
    "fee_cents",
    "initial_state",
    "month_invoiced",
    "stream_id",
]


class NothingToInvoice(Exception):
    """The month has no payslip, or its corrections leave an amount below zero: no invoice is issued."""


@dataclass(frozen=True)
class MonthTotals:
    """The month's payslips, a correction counted by its difference with the payslip it corrects."""

    payslips: int
    gross_cents: int
    employer_contributions_cents: int


@dataclass(frozen=True)
class CloseGdcMonth:
    employer_id: UUID
    month: str  # YYYY-MM
    invoice_id: UUID
    totals: MonthTotals
    fee_percent: Decimal
    now: datetime


class GdcMonthClosed(BaseModel):
    model_config = ConfigDict(frozen=True)

    employer_id: UUID
    month: str
    invoice_id: UUID
    payslips: int
    gross_cents: int
    employer_contributions_cents: int
    fee_percent: Decimal
    fee_cents: int
    closed_at: datetime


@dataclass(frozen=True)
class NoMonth:
    pass


@dataclass(frozen=True)
class ClosedMonth:
    closed: GdcMonthClosed


GdcMonthState = NoMonth | ClosedMonth
initial_state: GdcMonthState = NoMonth()


def fee_cents(employer_cost_cents: int, percent: Decimal) -> int:
    """The fee on the month's employer cost (gross + employer contributions), half-up to the cent."""
    return int((Decimal(employer_cost_cents) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def decide(command: CloseGdcMonth, state: GdcMonthState) -> list[GdcMonthClosed]:
    if isinstance(state, ClosedMonth):
        return []  # a repeated run: the month is closed, its invoice id stands
    totals = command.totals
    if totals.payslips == 0:
        raise NothingToInvoice(f"no payslip of {command.employer_id} to invoice for {command.month}")
    if totals.gross_cents < 0 or totals.employer_contributions_cents < 0:
        raise NothingToInvoice(
            f"the corrections of {command.month} leave a negative amount: "
            "a credit note is due, not an invoice"
        )
    return [
        GdcMonthClosed(
            employer_id=command.employer_id,
            month=command.month,
            invoice_id=command.invoice_id,
            payslips=totals.payslips,
            gross_cents=totals.gross_cents,
            employer_contributions_cents=totals.employer_contributions_cents,
            fee_percent=command.fee_percent,
            fee_cents=fee_cents(
                totals.gross_cents + totals.employer_contributions_cents, command.fee_percent
            ),
            closed_at=command.now,
        )
    ]


def evolve(state: GdcMonthState, event: GdcMonthClosed) -> GdcMonthState:
    return ClosedMonth(event)


def month_invoiced(run_on: date) -> str:
    """The month a run on `run_on` (Europe/Paris) invoices: the previous one (the 1st invoices last month)."""
    previous = run_on.replace(day=1) - timedelta(days=1)
    return f"{previous:%Y-%m}"


def stream_id(employer_id: UUID, month: str) -> str:
    return f"gdc-month-{employer_id}-{month}"
