"""Quotes: drafted, changed while open, accepted within their validity or declined."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from billing_svc.codecs import QUOTE, QUOTE_CODEC
from billing_svc.domain.invoicing.rules import InvalidInvoiceField
from billing_svc.domain.quotes import (
    AnswerQuote,
    ChangeQuote,
    DraftQuote,
    QuoteAccepted,
    QuoteAlreadyExists,
    QuoteChanged,
    QuoteClosed,
    QuoteDeclined,
    QuoteDrafted,
    QuoteExpired,
    UnknownQuote,
)
from billing_svc.reference import REFERENCE
from services.testkit.spec import Spec

from .invoice_fixtures import ACTIVITY, DESIGN, NOW, SELLER, TODAY, content

spec = Spec(QUOTE, codec=QUOTE_CODEC)
QUOTE_ID = UUID("00000000-0000-4000-8000-0000000000d1")
UNTIL = TODAY + timedelta(days=30)
DRAFTED = QuoteDrafted(
    quote_id=QUOTE_ID,
    activity_id=ACTIVITY,
    seller=SELLER.model_copy(update={"vat_number": "FR64443061841"}),
    content=content(),
    valid_until=UNTIL,
    drafted_at=NOW,
)


def test_a_quote_is_drafted_with_the_invoice_rules() -> None:
    spec.given().when(DraftQuote(QUOTE_ID, ACTIVITY, SELLER, content(), UNTIL, NOW, TODAY, REFERENCE)).then(
        DRAFTED
    )
    refused = (
        spec.given()
        .when(DraftQuote(QUOTE_ID, ACTIVITY, SELLER, content(lines=()), UNTIL, NOW, TODAY, REFERENCE))
        .then_raises(InvalidInvoiceField)
    )
    assert refused.field == "lines"


def test_a_quote_is_drafted_once_under_its_id() -> None:
    # The API answers a retried request's draft with the quote its first run made (ADR 023).
    spec.given(DRAFTED).when(
        DraftQuote(QUOTE_ID, ACTIVITY, SELLER, content(), UNTIL, NOW, TODAY, REFERENCE)
    ).then_raises(QuoteAlreadyExists, match="exists already")


def test_a_quote_valid_in_the_past_is_refused() -> None:
    refused = (
        spec.given()
        .when(
            DraftQuote(
                QUOTE_ID, ACTIVITY, SELLER, content(), TODAY - timedelta(days=1), NOW, TODAY, REFERENCE
            )
        )
        .then_raises(InvalidInvoiceField)
    )
    assert refused.field == "valid_until"


def test_an_open_quote_changes() -> None:
    changed = content(lines=(DESIGN,))
    spec.given(DRAFTED).when(ChangeQuote(QUOTE_ID, changed, UNTIL, NOW, TODAY, REFERENCE)).then(
        QuoteChanged(quote_id=QUOTE_ID, content=changed, valid_until=UNTIL, changed_at=NOW)
    )
    spec.given().when(ChangeQuote(QUOTE_ID, changed, UNTIL, NOW, TODAY, REFERENCE)).then_raises(UnknownQuote)


def test_accepted_within_validity_then_closed() -> None:
    spec.given(DRAFTED).when(AnswerQuote(QUOTE_ID, True, UNTIL)).then(
        QuoteAccepted(quote_id=QUOTE_ID, accepted_on=UNTIL)
    )
    accepted = QuoteAccepted(quote_id=QUOTE_ID, accepted_on=UNTIL)
    spec.given(DRAFTED, accepted).when(
        ChangeQuote(QUOTE_ID, content(), UNTIL, NOW, TODAY, REFERENCE)
    ).then_raises(QuoteClosed)


def test_an_expired_quote_cannot_be_accepted_but_can_be_declined() -> None:
    late = UNTIL + timedelta(days=1)
    spec.given(DRAFTED).when(AnswerQuote(QUOTE_ID, True, late)).then_raises(QuoteExpired)
    spec.given(DRAFTED).when(AnswerQuote(QUOTE_ID, False, late)).then(
        QuoteDeclined(quote_id=QUOTE_ID, declined_on=late)
    )
    assert date(2026, 12, 26) == UNTIL
