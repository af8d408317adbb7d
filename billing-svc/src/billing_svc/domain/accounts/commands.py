"""The activity account's commands: each carries the time and what the handler looked up (the rate)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from billing_svc.domain.accounts.contribution import ContributionRate
from billing_svc.domain.accounts.events import Receipt


@dataclass(frozen=True)
class CreditPayment:
    activity_id: UUID
    payment_id: UUID
    invoice_id: UUID
    amount_excluding_vat_cents: int
    received_on: date
    contribution: ContributionRate
    now: datetime


@dataclass(frozen=True)
class CoverByGuaranteeFund:
    activity_id: UUID
    invoice_id: UUID
    amount_excluding_vat_cents: int
    covered_on: date
    contribution: ContributionRate
    now: datetime


@dataclass(frozen=True)
class RecordFundRecovery:
    activity_id: UUID
    invoice_id: UUID
    amount_excluding_vat_cents: int
    recovered_on: date
    source_recorded_at: datetime  # when receivables recorded it: with the invoice, the recovery's identity
    now: datetime


@dataclass(frozen=True)
class DebitPayslip:
    activity_id: UUID
    payslip_id: UUID
    contract_id: UUID
    period: str
    employer_cost_cents: int
    on: date
    now: datetime
    corrects_payslip_id: UUID | None = None  # a correction: only the difference with the corrected one moves
    # The contract's last payslip: what is still reserved for it is released. Before it, a payslip settles
    # only its cost of the reservation (a month's close pays part of a contract's planned cost).
    contract_ended: bool = True


@dataclass(frozen=True)
class ClaimExpenses:
    activity_id: UUID
    claim_id: UUID
    description: str
    receipts: tuple[Receipt, ...]
    on: date
    now: datetime


@dataclass(frozen=True)
class ReserveBudget:
    activity_id: UUID
    reservation_id: UUID
    amount_cents: int
    now: datetime
    # The contract it is held for: an amendment's or renewal's top-up joins the draft's reservation (ADR 026).
    # None: the reservation id is the contract's (a draft's, or a request published before this field).
    contract_id: UUID | None = None


@dataclass(frozen=True)
class ReleaseReservation:
    activity_id: UUID
    reservation_id: UUID
    now: datetime


AccountCommand = (
    CreditPayment
    | CoverByGuaranteeFund
    | RecordFundRecovery
    | DebitPayslip
    | ClaimExpenses
    | ReserveBudget
    | ReleaseReservation
)
