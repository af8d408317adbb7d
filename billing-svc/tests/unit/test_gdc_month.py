"""The GDC month of an association: given its history, when the month is closed, then GdcMonthClosed once with
the payslips' totals and the fee; the invoice it makes passes the Factur-X XSD and both schematrons."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from billing_svc.codecs import INVOICE
from billing_svc.domain.gdc import (
    CloseGdcMonth,
    GdcMonthClosed,
    MonthTotals,
    NothingToInvoice,
    fee_cents,
    month_invoiced,
)
from billing_svc.domain.gdc.invoice import gdc_content
from billing_svc.domain.invoicing import DraftInvoice, FinaliseInvoice, IssuedInvoice, Party
from billing_svc.domain.invoicing.events import Address
from billing_svc.facturx import checks
from billing_svc.facturx.cii import build_cii
from billing_svc.gdc import GDC_MONTH, GDC_MONTH_CODEC
from billing_svc.reference import REFERENCE
from billing_svc.reference.tenants import TENANTS
from services.testkit.spec import Spec

EMPLOYER = UUID("5b0c3f9e-2d7a-5e41-9c8b-1f6a2e4d7c30")
INVOICE_ID = UUID("0e4c1a52-3f1b-5c7d-8e9f-0a1b2c3d4e5f")
NOW = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
FIVE = Decimal("5")
spec = Spec(GDC_MONTH, GDC_MONTH_CODEC)


def close(totals: MonthTotals, month: str = "2026-11") -> CloseGdcMonth:
    return CloseGdcMonth(EMPLOYER, month, INVOICE_ID, totals, FIVE, NOW)


def closed(gross: int, contributions: int, payslips: int = 20, month: str = "2026-11") -> GdcMonthClosed:
    return GdcMonthClosed(
        employer_id=EMPLOYER,
        month=month,
        invoice_id=INVOICE_ID,
        payslips=payslips,
        gross_cents=gross,
        employer_contributions_cents=contributions,
        fee_percent=FIVE,
        fee_cents=fee_cents(gross + contributions, FIVE),
        closed_at=NOW,
    )


def test_closing_a_month_totals_its_payslips_and_adds_the_fee_on_the_employer_cost() -> None:
    spec.given().when(close(MonthTotals(20, 4_000_000, 1_200_000))).then(closed(4_000_000, 1_200_000))
    assert fee_cents(5_200_000, FIVE) == 260_000


def test_the_fee_is_rounded_half_up_to_the_cent() -> None:
    assert fee_cents(1_030, FIVE) == 52  # 51.5 -> 52
    assert fee_cents(1_029, FIVE) == 51  # 51.45 -> 51


def test_closing_a_closed_month_again_decides_nothing() -> None:
    earlier = closed(4_000_000, 1_200_000)
    spec.given(earlier).when(close(MonthTotals(3, 1, 1))).then()


def test_a_month_without_payslips_is_not_invoiced() -> None:
    spec.given().when(close(MonthTotals(0, 0, 0))).then_raises(NothingToInvoice, match="no payslip")


def test_corrections_that_leave_a_negative_month_are_not_invoiced() -> None:
    spec.given().when(close(MonthTotals(1, -500, -100))).then_raises(NothingToInvoice, match="credit note")


def test_the_run_of_the_first_invoices_the_previous_month() -> None:
    assert month_invoiced(date(2027, 1, 1)) == "2026-12"
    assert month_invoiced(date(2026, 3, 1)) == "2026-02"


ASSOCIATION = Party(
    name="Les Ateliers du Spectacle",
    siren="732829320",
    vat_number=None,
    address=Address(street="12 rue des Arts", postal_code="69001", city="Lyon"),
    electronic_address="732829320",
)
NO_ADDRESS = ASSOCIATION.model_copy(update={"address": Address(street="", postal_code="", city="")})


def _issued(buyer: Party) -> IssuedInvoice:
    settings = TENANTS.gdc("smartfr")
    month = closed(4_000_000, 1_200_000)
    draft = DraftInvoice(
        INVOICE_ID,
        settings.series,
        settings.activity_id,
        TENANTS.seller("smartfr"),
        gdc_content(month, buyer, settings),
        NOW,
        date(2026, 12, 1),
        REFERENCE,
    )
    state = INVOICE.fold(INVOICE.decide(draft, INVOICE.initial_state))
    finalise = FinaliseInvoice(INVOICE_ID, 1, date(2026, 12, 1), NOW, REFERENCE)
    issued = INVOICE.fold_from(state, INVOICE.decide(finalise, state))
    assert isinstance(issued, IssuedInvoice)
    return issued


@pytest.mark.parametrize("buyer", [ASSOCIATION, NO_ADDRESS], ids=["with address", "country only"])
def test_the_gdc_invoice_equals_gross_plus_contributions_plus_fee_and_passes_factur_x(buyer: Party) -> None:
    issued = _issued(buyer)
    lines = [line.unit_price_cents for line in issued.draft.content.lines]
    assert lines == [4_000_000, 1_200_000, 260_000]
    assert issued.totals.total_cents == 5_460_000  # exempt (CGI art. 261 B): no VAT
    assert [(b.category, b.vatex) for b in issued.vat_breakdown] == [("E", "VATEX-EU-132-1F")]
    assert issued.number == "GDC-000001"
    assert issued.draft.seller == TENANTS.seller("smartfr")
    checks.check(build_cii(issued))  # XSD, EN 16931 and French CTC schematrons
