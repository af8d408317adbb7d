"""The invoice aggregate: given events, when a command, then events (or the refusal)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing_svc.codecs import INVOICE as INVOICE_DECIDER
from billing_svc.codecs import INVOICE_CODEC
from billing_svc.domain.invoicing import ChangeDraft, DiscardDraft, IssuedInvoice, Line, PaymentTerms
from billing_svc.domain.invoicing.events import (
    InvoiceDraftChanged,
    InvoiceDraftDiscarded,
    InvoiceDrafted,
    InvoiceFinalised,
    Mentions,
    Totals,
    VatBreakdown,
)
from billing_svc.domain.invoicing.rules import (
    CannotFinalise,
    InvalidInvoiceField,
    InvoiceAlreadyExists,
    InvoiceAlreadyIssued,
    InvoiceDiscarded,
    UnknownInvoice,
    due_date,
    invoice_number,
)
from billing_svc.reference import REFERENCE
from services.testkit.spec import Spec

from .invoice_fixtures import ACTIVITY, BUYER, DESIGN, INVOICE, NOW, SELLER, TODAY, content, draft, finalise

spec = Spec(INVOICE_DECIDER, codec=INVOICE_CODEC)
TERMS = REFERENCE.terms(TODAY)
DRAFTED = InvoiceDrafted(
    invoice_id=INVOICE,
    type_code="380",
    series="F2026",
    activity_id=ACTIVITY,
    seller=SELLER.model_copy(update={"vat_number": "FR64443061841"}),
    content=content(),
    corrects=None,
    drafted_at=NOW,
)


def finalised(sequence: int = 1) -> InvoiceFinalised:
    # 2 × 450.00 at 20 % and 3.5 × 19.99 = 69.965 -> 69.97 at 5.5 % (VAT 3.848... -> 3.85)
    return InvoiceFinalised(
        invoice_id=INVOICE,
        number=f"F2026-{sequence:06d}",
        sequence=sequence,
        issue_date=TODAY,
        due_date=date(2026, 12, 26),
        vat_breakdown=(
            VatBreakdown(
                category="S",
                percent=Decimal("20"),
                basis_cents=90_000,
                vat_cents=18_000,
                exemption_mention=None,
                vatex=None,
            ),
            VatBreakdown(
                category="S",
                percent=Decimal("5.5"),
                basis_cents=6_997,
                vat_cents=385,
                exemption_mention=None,
                vatex=None,
            ),
        ),
        totals=Totals(lines_cents=96_997, basis_cents=96_997, vat_cents=18_385, total_cents=115_382),
        mentions=Mentions(
            late_penalty=TERMS.late_penalty,
            recovery_indemnity=TERMS.recovery_indemnity,
            early_payment_discount=TERMS.early_payment_discount,
            recovery_indemnity_cents=4000,
        ),
        finalised_at=NOW,
    )


def test_a_draft_is_recorded_with_its_identifiers_compacted() -> None:
    spec.given().when(draft()).then(DRAFTED)


def test_a_draft_is_drafted_once() -> None:
    spec.given(DRAFTED).when(draft()).then_raises(InvoiceAlreadyExists)


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (draft(series="F 2026"), "series"),
        (draft(series="F#1"), "series"),
        (draft(seller=SELLER.model_copy(update={"siren": None})), "seller.siren"),
        (draft(seller=SELLER.model_copy(update={"siren": "443061842"})), "seller.siren"),
        (
            draft(content=content(buyer=BUYER.model_copy(update={"vat_number": "FR00732829320"}))),
            "buyer.vat_number",
        ),
        (draft(content=content(lines=())), "lines"),
        (
            draft(content=content(lines=(DESIGN.model_copy(update={"vat_percent": Decimal("19.6")}),))),
            "lines.0.vat_percent",
        ),
        (
            draft(content=content(lines=(DESIGN.model_copy(update={"vat_percent": None}),))),
            "lines.0.vat_percent",
        ),
        (
            draft(content=content(lines=(DESIGN.model_copy(update={"quantity": Decimal("0")}),))),
            "lines.0.quantity",
        ),
        (
            draft(content=content(lines=(DESIGN.model_copy(update={"unit_price_cents": -1}),))),
            "lines.0.unit_price_cents",
        ),
        (draft(content=content(vat_exemption="franchise")), "lines.0.vat_percent"),
        (draft(content=content(vat_exemption="no-such-ground")), "vat_exemption"),
        (draft(content=content(payment_terms=PaymentTerms(days=61))), "payment_terms.days"),
        (
            draft(content=content(payment_terms=PaymentTerms(days=46, end_of_month=True))),
            "payment_terms.days",
        ),
    ],
)
def test_a_draft_that_breaks_a_rule_is_refused_naming_the_field(command: object, field: str) -> None:
    refused = spec.given().when(command).then_raises(InvalidInvoiceField)  # type: ignore[arg-type]
    assert refused.field == field


def test_the_four_french_rates_are_accepted() -> None:
    for percent in ("20", "10", "5.5", "2.1"):
        line = DESIGN.model_copy(update={"vat_percent": Decimal(percent)})
        spec.given().when(draft(content=content(lines=(line,)))).then(
            DRAFTED.model_copy(update={"content": content(lines=(line,))})
        )


def test_payment_terms_at_the_legal_limits_are_accepted() -> None:
    for terms in (PaymentTerms(days=60), PaymentTerms(days=45, end_of_month=True)):
        spec.given().when(draft(content=content(payment_terms=terms))).then(
            DRAFTED.model_copy(update={"content": content(payment_terms=terms)})
        )


def test_due_dates_net_and_end_of_month() -> None:
    assert due_date(date(2026, 11, 26), 60, False) == date(2027, 1, 25)
    assert due_date(date(2026, 11, 26), 45, True) == date(2027, 1, 31)
    assert due_date(date(2026, 1, 10), 45, True) == date(2026, 2, 28)


def test_a_draft_changes_freely() -> None:
    changed = content(lines=(DESIGN,), note="Acompte déduit")
    spec.given(DRAFTED).when(ChangeDraft(INVOICE, changed, NOW, TODAY, REFERENCE)).then(
        InvoiceDraftChanged(invoice_id=INVOICE, content=changed, changed_at=NOW)
    )


def test_a_change_to_the_same_content_records_nothing() -> None:
    spec.given(DRAFTED).when(ChangeDraft(INVOICE, content(), NOW, TODAY, REFERENCE)).then()


def test_no_change_to_an_unknown_invoice() -> None:
    spec.given().when(ChangeDraft(INVOICE, content(), NOW, TODAY, REFERENCE)).then_raises(UnknownInvoice)


def test_finalising_numbers_dates_and_totals_the_invoice_with_its_mentions() -> None:
    state = spec.given(DRAFTED).when(finalise()).then(finalised())
    assert isinstance(state, IssuedInvoice)
    assert state.number == "F2026-000001"


def test_an_issued_invoice_never_changes() -> None:
    spec.given(DRAFTED, finalised()).when(
        ChangeDraft(INVOICE, content(lines=(DESIGN,)), NOW, TODAY, REFERENCE)
    ).then_raises(InvoiceAlreadyIssued, match="credit note")
    spec.given(DRAFTED, finalised()).when(DiscardDraft(INVOICE, NOW)).then_raises(InvoiceAlreadyIssued)


def test_a_retried_finalisation_takes_no_second_number() -> None:
    spec.given(DRAFTED, finalised(1)).when(finalise(sequence=2)).then()


def test_a_discarded_draft_leaves_no_number_and_cannot_be_finalised() -> None:
    spec.given(DRAFTED).when(DiscardDraft(INVOICE, NOW)).then(
        InvoiceDraftDiscarded(invoice_id=INVOICE, discarded_at=NOW)
    )
    spec.given(DRAFTED, InvoiceDraftDiscarded(invoice_id=INVOICE, discarded_at=NOW)).when(
        finalise()
    ).then_raises(InvoiceDiscarded)


def test_an_invoice_of_nothing_is_not_issued() -> None:
    free = content(lines=(DESIGN.model_copy(update={"unit_price_cents": 0}),))
    spec.given(DRAFTED.model_copy(update={"content": free})).when(finalise()).then_raises(CannotFinalise)


def test_a_consumer_buyer_owes_no_recovery_indemnity() -> None:
    consumer = content(buyer=BUYER.model_copy(update={"kind": "consumer", "siren": None, "vat_number": None}))
    state = (
        spec.given(DRAFTED.model_copy(update={"content": consumer}))
        .when(finalise())
        .then(
            finalised().model_copy(
                update={
                    "mentions": finalised().mentions.model_copy(
                        update={"recovery_indemnity": None, "recovery_indemnity_cents": 0}
                    )
                }
            )
        )
    )
    assert isinstance(state, IssuedInvoice)


def test_an_exempt_invoice_carries_the_legal_mention_instead_of_vat() -> None:
    line = DESIGN.model_copy(update={"vat_percent": None})
    exempt = content(lines=(line,), vat_exemption="franchise")
    state = (
        spec.given(DRAFTED.model_copy(update={"content": exempt}))
        .when(finalise())
        .then(
            finalised().model_copy(
                update={
                    "vat_breakdown": (
                        VatBreakdown(
                            category="E",
                            percent=Decimal(0),
                            basis_cents=90_000,
                            vat_cents=0,
                            exemption_mention="TVA non applicable, art. 293 B du CGI",
                            vatex="VATEX-FR-FRANCHISE",
                        ),
                    ),
                    "totals": Totals(lines_cents=90_000, basis_cents=90_000, vat_cents=0, total_cents=90_000),
                }
            )
        )
    )
    assert isinstance(state, IssuedInvoice)


def test_numbers_use_only_the_allowed_characters() -> None:
    assert invoice_number("AV+2026/b_1", 7) == "AV+2026/b_1-000007"
    with pytest.raises(InvalidInvoiceField):
        invoice_number("F2026", 0)


def test_a_line_with_four_decimals_of_quantity_is_rounded_half_up_to_the_cent() -> None:
    line = Line(
        description="Heures", quantity=Decimal("1.3333"), unit_price_cents=5_000, vat_percent=Decimal("20")
    )
    state = (
        spec.given(DRAFTED.model_copy(update={"content": content(lines=(line,))}))
        .when(finalise())
        .then(
            finalised().model_copy(
                update={
                    "vat_breakdown": (
                        VatBreakdown(
                            category="S",
                            percent=Decimal("20"),
                            basis_cents=6_667,
                            vat_cents=1_333,
                            exemption_mention=None,
                            vatex=None,
                        ),
                    ),
                    "totals": Totals(
                        lines_cents=6_667, basis_cents=6_667, vat_cents=1_333, total_cents=8_000
                    ),
                }
            )
        )
    )
    assert isinstance(state, IssuedInvoice)


def test_text_an_xml_invoice_cannot_carry_is_refused_naming_the_field() -> None:
    bad_buyer = BUYER.model_copy(update={"name": "Ateliers\x00"})
    refused = spec.given().when(draft(content=content(buyer=bad_buyer))).then_raises(InvalidInvoiceField)
    assert refused.field == "buyer.name"
    bad_line = DESIGN.model_copy(update={"description": "Scéno\ud800"})
    refused = spec.given().when(draft(content=content(lines=(bad_line,)))).then_raises(InvalidInvoiceField)
    assert refused.field == "lines.0.description"
