"""What the GDC invoice of a closed month says: its lines, its VAT treatment, its terms (tenant settings)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from billing_svc.domain.gdc import GdcMonthClosed
from billing_svc.domain.invoicing import DraftContent, Line, Party, PaymentTerms

ONE = Decimal(1)


@dataclass(frozen=True)
class GdcInvoicing:
    """A tenant's GDC settings: the series, the activity the invoices are issued for, the VAT treatment (an
    exemption code of the table, or a rate for every line) and the days to pay (the collection date)."""

    series: str
    activity_id: UUID
    vat_exemption: str | None
    vat_percent: Decimal | None
    payment_days: int


def gdc_content(closed: GdcMonthClosed, buyer: Party, settings: GdcInvoicing) -> DraftContent:
    rate = None if settings.vat_exemption is not None else settings.vat_percent
    month = closed.month
    lines = (
        Line(
            description=f"Salaires bruts {month} ({closed.payslips} bulletins)",
            quantity=ONE,
            unit_price_cents=closed.gross_cents,
            vat_percent=rate,
        ),
        Line(
            description=f"Cotisations patronales {month}",
            quantity=ONE,
            unit_price_cents=closed.employer_contributions_cents,
            vat_percent=rate,
        ),
        Line(
            description=f"Frais de gestion GDC {month} ({closed.fee_percent.normalize():f} %)",
            quantity=ONE,
            unit_price_cents=closed.fee_cents,
            vat_percent=rate,
        ),
    )
    return DraftContent(
        buyer=buyer,
        lines=lines,
        payment_terms=PaymentTerms(days=settings.payment_days),
        vat_exemption=settings.vat_exemption,
        note=f"Gestion de contrats, {month}: salaires et cotisations avancés pour votre compte, "
        "et frais de gestion.",
    )
