"""A generated month of invoices and credit notes (every VAT rate, exemptions, consumers, a foreign buyer):
each one's CII XML passes the Factur-X XSD and both schematrons; a wrong total and a missing buyer SIREN are
refused naming BR-CO-15 and BR-FR-11."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from billing_svc.codecs import INVOICE as INVOICE_DECIDER
from billing_svc.domain.invoicing import (
    CorrectedInvoice,
    DraftInvoice,
    FinaliseInvoice,
    IssuedInvoice,
    Line,
    PaymentTerms,
)
from billing_svc.domain.invoicing.events import Address
from billing_svc.facturx import checks
from billing_svc.facturx.cii import build_cii
from billing_svc.invoices import _numbered
from billing_svc.reference import REFERENCE

from .invoice_fixtures import ACTIVITY, BUYER, NOW, SELLER, content

RATES = [Decimal("20"), Decimal("10"), Decimal("5.5"), Decimal("2.1")]
BELGIAN = BUYER.model_copy(
    update={
        "name": "Théâtre de Liège",
        "siren": None,
        "vat_number": "BE0403019261",
        "address": Address(street="Place du Vingt-Août 16", postal_code="4000", city="Liège", country="BE"),
        "electronic_address": "0403019261",
        "electronic_address_scheme": "0208",
    }
)
CONSUMER = BUYER.model_copy(
    update={"kind": "consumer", "siren": None, "vat_number": None, "name": "Léa Martin"}
)


def _issue(command: DraftInvoice, sequence: int, day: date) -> IssuedInvoice:
    state = INVOICE_DECIDER.fold(INVOICE_DECIDER.decide(command, INVOICE_DECIDER.initial_state))
    finalise = FinaliseInvoice(command.invoice_id, sequence, day, NOW, REFERENCE)
    issued = INVOICE_DECIDER.fold_from(state, INVOICE_DECIDER.decide(finalise, state))
    assert isinstance(issued, IssuedInvoice)
    return issued


def _month(seed: int = 20261126) -> list[IssuedInvoice]:
    rng = random.Random(seed)
    issued: list[IssuedInvoice] = []
    for n in range(1, 25):
        day = date(2026, 11, 2) + timedelta(days=n)
        kind = rng.choice(["vat", "vat", "vat", "franchise", "training", "consumer", "reverse_charge"])
        exempt = {
            "franchise": "franchise",
            "training": "training",
            "reverse_charge": "intra_eu_services",
        }.get(kind)
        lines = tuple(
            Line(
                description=f"Prestation {i}",
                quantity=Decimal(rng.randint(1, 400)) / 4,
                unit_price_cents=rng.randint(100, 250_000),
                vat_percent=None if exempt else rng.choice(RATES),
            )
            for i in range(rng.randint(1, 6))
        )
        buyer = {"consumer": CONSUMER, "reverse_charge": BELGIAN}.get(kind, BUYER)
        terms = rng.choice(
            [PaymentTerms(days=30), PaymentTerms(days=60), PaymentTerms(days=45, end_of_month=True)]
        )
        command = DraftInvoice(
            UUID(int=n),
            "F2026",
            ACTIVITY,
            SELLER,
            content(buyer=buyer, lines=lines, vat_exemption=exempt, payment_terms=terms),
            NOW,
            day,
            REFERENCE,
        )
        invoice = _issue(command, n, day)
        issued.append(invoice)
        if n % 6 == 0:  # a credit note for the first line of every sixth invoice
            corrected = CorrectedInvoice(
                invoice_id=invoice.draft.invoice_id,
                number=invoice.number,
                issue_date=day,
                total_cents=invoice.totals.total_cents,
            )
            note = DraftInvoice(
                UUID(int=1000 + n),
                "AV2026",
                ACTIVITY,
                SELLER,
                content(buyer=buyer, lines=lines[:1], vat_exemption=exempt, payment_terms=terms),
                NOW,
                day,
                REFERENCE,
                corrected,
                invoice.totals.total_cents,
            )
            issued.append(_issue(note, n // 6, day))
    return issued


MONTH = _month()


@pytest.mark.parametrize("invoice", MONTH, ids=[i.number for i in MONTH])
def test_every_invoice_of_a_generated_month_passes_the_xsd_and_both_schematrons(
    invoice: IssuedInvoice,
) -> None:
    xml = build_cii(invoice)
    assert checks.xsd_violations(xml) == []
    assert checks.schematron_violations(xml) == []


def test_a_wrong_total_is_refused_as_br_co_15() -> None:
    invoice = MONTH[0]
    wrong = replace(
        invoice, totals=invoice.totals.model_copy(update={"total_cents": invoice.totals.total_cents + 1})
    )
    with pytest.raises(checks.FacturXRejected, match="BR-CO-15") as refused:
        checks.check(build_cii(wrong))
    assert "BR-CO-15" in refused.value.rules


def test_a_business_buyer_without_siren_is_refused_as_br_fr_11() -> None:
    invoice = next(
        i for i in MONTH if i.draft.content.buyer == BUYER.model_copy(update={"vat_number": "FR44732829320"})
    )
    content_without = invoice.draft.content.model_copy(
        update={"buyer": invoice.draft.content.buyer.model_copy(update={"siren": None})}
    )
    without = replace(invoice, draft=replace(invoice.draft, content=content_without))
    with pytest.raises(checks.FacturXRejected, match="BR-FR-11") as refused:
        checks.check(build_cii(without))
    assert "BR-FR-11_BT-47" in refused.value.rules


@pytest.mark.parametrize("invoice", MONTH[:8], ids=[i.number for i in MONTH[:8]])
def test_the_checked_xml_with_the_number_put_in_is_the_issued_invoices_xml(invoice: IssuedInvoice) -> None:
    placeholder = replace(invoice, number=f"{invoice.draft.series}-999999", sequence=999_999)
    numbered = _numbered((placeholder, build_cii(placeholder)), invoice)
    assert numbered == build_cii(invoice)
    next_day = replace(placeholder, issue_date=invoice.issue_date + timedelta(days=1))
    assert (
        _numbered((next_day, build_cii(next_day)), invoice) is None
    )  # midnight passed: built and checked anew


def test_the_code_lists_read_once_report_what_the_vendored_stylesheet_reports() -> None:
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    vendored = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(checks.EN16931_XSLT))
    unknown_currency = build_cii(MONTH[0]).replace(b">EUR<", b">XEU<")
    for xml in [build_cii(i) for i in MONTH[:6]] + [unknown_currency]:
        document = processor.parse_xml(xml_text=xml.decode("utf-8"))
        ours = checks.compile_schematrons().reports(xml)[0]
        assert ours == vendored.transform_to_string(xdm_node=document)


def test_a_code_outside_its_code_list_is_refused_naming_the_rule() -> None:
    unknown_currency = build_cii(MONTH[0]).replace(b">EUR<", b">XEU<")
    with pytest.raises(checks.FacturXRejected) as refused:
        checks.check(unknown_currency)
    assert "FX-SCH-A-000595" in refused.value.rules  # BT-5, the currency, in ISO 4217 (the code list)
    assert "XEU" in str(refused.value)
