"""The receivable's private, stored events: what the client owes on one issued invoice, and its collection."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

PaymentSource = Literal["transfer", "client_credit"]


class ReceivableOpened(BaseModel):
    """An invoice was issued: its client owes its total (VAT included) by its due date."""

    model_config = ConfigDict(frozen=True)

    invoice_id: UUID
    activity_id: UUID | None
    number: str
    buyer_siren: str | None  # a business buyer; also the key of the client's credit
    issue_date: date
    due_date: date
    total_cents: int
    excluding_vat_cents: int
    recovery_indemnity_cents: int  # 40 EUR for a business buyer, 0 for a consumer (fixed at issue)
    opened_at: datetime


class CreditNoteApplied(BaseModel):
    """A credit note lowers what is owed; what was paid beyond the new amount is the client's credit."""

    model_config = ConfigDict(frozen=True)

    invoice_id: UUID
    credit_note_id: UUID
    total_cents: int
    excluding_vat_cents: int
    applied_on: date
    excess_cents: int
    recorded_at: datetime


class PaymentRecorded(BaseModel):
    """Money received for the invoice: the allocated part settles it, the excess becomes the client's credit.

    After the guarantee fund covered the invoice, the allocated part goes back to the fund (`to_fund`).
    """

    model_config = ConfigDict(frozen=True)

    invoice_id: UUID
    payment_id: UUID
    source: PaymentSource
    amount_cents: int
    allocated_cents: int
    allocated_excluding_vat_cents: int
    excess_cents: int
    to_fund: bool
    received_on: date
    reference: str | None
    recorded_at: datetime


class InterestPeriod(BaseModel):
    """Days late at one rate on one unpaid amount (interest = unpaid x rate x days / 365)."""

    model_config = ConfigDict(frozen=True)

    first_day: date
    last_day: date
    unpaid_cents: int
    rate_percent: Decimal  # the ECB rate of the half-year + the margin


class DunningNoticeSent(BaseModel):
    model_config = ConfigDict(frozen=True)

    invoice_id: UUID
    step: int  # 1, 2, 3 ... of the collection schedule
    sent_on: date
    days_late: int
    unpaid_cents: int
    interest_cents: int
    recovery_indemnity_cents: int
    interest_periods: tuple[InterestPeriod, ...]
    recorded_at: datetime


class GuaranteeFundCovered(BaseModel):
    """Unpaid after the last notice: the fund advances the unpaid part (excluding VAT) to the activity."""

    model_config = ConfigDict(frozen=True)

    invoice_id: UUID
    covered_on: date
    unpaid_cents: int
    amount_excluding_vat_cents: int
    recorded_at: datetime


class ProvisionedAsDoubtful(BaseModel):
    model_config = ConfigDict(frozen=True)

    invoice_id: UUID
    reason: str
    provisioned_on: date
    amount_excluding_vat_cents: int
    recorded_at: datetime


class WrittenOff(BaseModel):
    """Not expected any more: out of the ageing, no more notices; money that still comes is recorded."""

    model_config = ConfigDict(frozen=True)

    invoice_id: UUID
    reason: str
    written_off_on: date
    unpaid_cents: int
    amount_excluding_vat_cents: int
    recorded_at: datetime


ReceivableEvent = (
    ReceivableOpened
    | CreditNoteApplied
    | PaymentRecorded
    | DunningNoticeSent
    | GuaranteeFundCovered
    | ProvisionedAsDoubtful
    | WrittenOff
)

EVENT_TYPES: dict[str, type[ReceivableEvent]] = {
    "ReceivableOpened": ReceivableOpened,
    "CreditNoteApplied": CreditNoteApplied,
    "PaymentRecorded": PaymentRecorded,
    "DunningNoticeSent": DunningNoticeSent,
    "GuaranteeFundCovered": GuaranteeFundCovered,
    "ProvisionedAsDoubtful": ProvisionedAsDoubtful,
    "WrittenOff": WrittenOff,
}
