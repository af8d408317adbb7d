"""The invoice aggregate's private, stored events (an invoice or a credit note: one aggregate)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

TypeCode = Literal["380", "381"]  # UNTDID 1001: commercial invoice, credit note
BuyerKind = Literal["business", "consumer"]


class Address(BaseModel):
    model_config = ConfigDict(frozen=True)

    street: str
    postal_code: str
    city: str
    country: str = "FR"


class Party(BaseModel):
    """Seller or buyer as named on the invoice; `electronic_address` receives its e-invoices (BT-34/49)."""

    model_config = ConfigDict(frozen=True)

    name: str
    siren: str | None
    vat_number: str | None
    address: Address
    electronic_address: str | None
    kind: BuyerKind = "business"
    # ISO 6523 ICD of the address: 0225 French e-invoicing directory (SIREN-based), 0208 Belgian company, ...
    electronic_address_scheme: str = "0225"


class Line(BaseModel):
    """A line; `vat_percent` None when the invoice carries a VAT exemption. Prices in cents excluding VAT."""

    model_config = ConfigDict(frozen=True)

    description: str
    quantity: Decimal
    unit_price_cents: int
    vat_percent: Decimal | None


class PaymentTerms(BaseModel):
    """Net days from the issue date, or days then end of month ("45 jours fin de mois")."""

    model_config = ConfigDict(frozen=True)

    days: int
    end_of_month: bool = False


class CorrectedInvoice(BaseModel):
    """The issued invoice a credit note corrects (BT-25 / BT-26)."""

    model_config = ConfigDict(frozen=True)

    invoice_id: UUID
    number: str
    issue_date: date
    total_cents: int


class DraftContent(BaseModel):
    """What a draft says and may still change."""

    model_config = ConfigDict(frozen=True)

    buyer: Party
    lines: tuple[Line, ...]
    payment_terms: PaymentTerms
    vat_exemption: str | None  # a code of the exemption table, or None for VAT at the lines' rates
    note: str | None = None


class InvoiceDrafted(BaseModel):
    model_config = ConfigDict(frozen=True)

    invoice_id: UUID
    type_code: TypeCode
    series: str
    activity_id: UUID
    seller: Party
    content: DraftContent
    corrects: CorrectedInvoice | None
    drafted_at: datetime


class InvoiceDraftChanged(BaseModel):
    model_config = ConfigDict(frozen=True)

    invoice_id: UUID
    content: DraftContent
    changed_at: datetime


class InvoiceDraftDiscarded(BaseModel):
    """A draft has no number: it may go away without leaving a gap."""

    model_config = ConfigDict(frozen=True)

    invoice_id: UUID
    discarded_at: datetime


class VatBreakdown(BaseModel):
    model_config = ConfigDict(frozen=True)

    category: str  # S, E, AE
    percent: Decimal
    basis_cents: int
    vat_cents: int
    exemption_mention: str | None
    vatex: str | None


class Totals(BaseModel):
    model_config = ConfigDict(frozen=True)

    lines_cents: int  # BT-106
    basis_cents: int  # BT-109
    vat_cents: int  # BT-110
    total_cents: int  # BT-112 (and BT-115, nothing being prepaid)


class Mentions(BaseModel):
    """The legal texts of the finalised invoice, fixed at issue (the tables may change later)."""

    model_config = ConfigDict(frozen=True)

    late_penalty: str  # PMD
    recovery_indemnity: str | None  # PMT, businesses only
    early_payment_discount: str  # AAB
    recovery_indemnity_cents: int


class InvoiceFinalised(BaseModel):
    """The invoice is issued: numbered, dated, totalled; from now on it never changes."""

    model_config = ConfigDict(frozen=True)

    invoice_id: UUID
    number: str
    sequence: int
    issue_date: date
    due_date: date
    vat_breakdown: tuple[VatBreakdown, ...]
    totals: Totals
    mentions: Mentions
    finalised_at: datetime


InvoiceEvent = InvoiceDrafted | InvoiceDraftChanged | InvoiceDraftDiscarded | InvoiceFinalised
