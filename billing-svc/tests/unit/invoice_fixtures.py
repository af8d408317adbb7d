"""Parties, lines and commands the invoice specs share."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from billing_svc.domain.invoicing import (
    Address,
    DraftContent,
    DraftInvoice,
    FinaliseInvoice,
    Line,
    Party,
    PaymentTerms,
)
from billing_svc.reference import REFERENCE

INVOICE = UUID("00000000-0000-4000-8000-000000000001")
ACTIVITY = UUID("00000000-0000-4000-8000-0000000000a1")
NOW = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)
TODAY = date(2026, 11, 26)
SELLER = Party(
    name="SmartFr SCIC",
    siren="443061841",
    vat_number="FR 64 443 061 841",
    address=Address(street="5 rue de la Coopération", postal_code="75011", city="Paris"),
    electronic_address="443061841",
)
BUYER = Party(
    name="Les Ateliers du Spectacle",
    siren="732829320",
    vat_number="FR44732829320",
    address=Address(street="12 rue des Arts", postal_code="69001", city="Lyon"),
    electronic_address="732829320",
)
DESIGN = Line(
    description="Scénographie", quantity=Decimal("2"), unit_price_cents=45_000, vat_percent=Decimal("20")
)
BOOKS = Line(
    description="Catalogues", quantity=Decimal("3.5"), unit_price_cents=1_999, vat_percent=Decimal("5.5")
)


def content(**fields: Any) -> DraftContent:
    values: dict[str, Any] = {
        "buyer": BUYER,
        "lines": (DESIGN, BOOKS),
        "payment_terms": PaymentTerms(days=30),
        "vat_exemption": None,
    }
    values.update(fields)
    return DraftContent(**values)


def draft(**fields: Any) -> DraftInvoice:
    values: dict[str, Any] = {
        "invoice_id": INVOICE,
        "series": "F2026",
        "activity_id": ACTIVITY,
        "seller": SELLER,
        "content": content(),
        "now": NOW,
        "today": TODAY,
        "reference": REFERENCE,
    }
    values.update(fields)
    return DraftInvoice(**values)


def finalise(sequence: int = 1, issue_date: date = TODAY) -> FinaliseInvoice:
    return FinaliseInvoice(INVOICE, sequence=sequence, issue_date=issue_date, now=NOW, reference=REFERENCE)
