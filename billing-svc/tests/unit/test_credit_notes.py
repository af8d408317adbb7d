"""Credit notes: type 381, their own number, correcting an issued invoice within what is left of it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from billing_svc.codecs import INVOICE as INVOICE_DECIDER
from billing_svc.codecs import INVOICE_CODEC
from billing_svc.domain.invoicing import ChangeDraft, CorrectedInvoice, FinaliseInvoice, IssuedInvoice
from billing_svc.domain.invoicing.events import InvoiceDrafted
from billing_svc.domain.invoicing.rules import CreditNoteRefused
from billing_svc.reference import REFERENCE
from services.testkit.spec import Spec

from .invoice_fixtures import ACTIVITY, DESIGN, NOW, SELLER, TODAY, content, draft

spec = Spec(INVOICE_DECIDER, codec=INVOICE_CODEC)
CREDIT_NOTE = UUID("00000000-0000-4000-8000-0000000000c1")
CORRECTED = CorrectedInvoice(
    invoice_id=UUID("00000000-0000-4000-8000-000000000001"),
    number="F2026-000001",
    issue_date=date(2026, 11, 20),
    total_cents=115_382,
)
ONE_DAY = content(lines=(DESIGN.model_copy(update={"quantity": Decimal("1")}),))  # 450.00 + 20 % = 540.00


def credit_note(available: int | None = 115_382, body: object = ONE_DAY) -> object:
    return draft(
        invoice_id=CREDIT_NOTE,
        series="AV2026",
        content=body,
        corrects=CORRECTED,
        credit_available_cents=available,
    )


DRAFTED = InvoiceDrafted(
    invoice_id=CREDIT_NOTE,
    type_code="381",
    series="AV2026",
    activity_id=ACTIVITY,
    seller=SELLER.model_copy(update={"vat_number": "FR64443061841"}),
    content=ONE_DAY,
    corrects=CORRECTED,
    drafted_at=NOW,
)


def test_a_credit_note_is_a_381_draft_referencing_the_invoice() -> None:
    spec.given().when(credit_note()).then(DRAFTED)  # type: ignore[arg-type]


def test_a_credit_note_gives_back_no_more_than_is_left_of_the_invoice() -> None:
    spec.given().when(credit_note(available=53_999)).then_raises(CreditNoteRefused, match="54000")  # type: ignore[arg-type]
    spec.given(DRAFTED).when(
        ChangeDraft(CREDIT_NOTE, content(), NOW, TODAY, REFERENCE, credit_available_cents=60_000)
    ).then_raises(CreditNoteRefused)


def test_a_credit_note_needs_what_is_left_to_credit() -> None:
    spec.given().when(credit_note(available=None)).then_raises(CreditNoteRefused)  # type: ignore[arg-type]


def test_a_credit_note_is_numbered_in_its_own_series() -> None:
    state = (
        spec.given(DRAFTED)
        .when(FinaliseInvoice(CREDIT_NOTE, 1, TODAY, NOW, REFERENCE))
        .then(
            *INVOICE_DECIDER.decide(
                FinaliseInvoice(CREDIT_NOTE, 1, TODAY, NOW, REFERENCE), INVOICE_DECIDER.fold([DRAFTED])
            )
        )
    )
    assert isinstance(state, IssuedInvoice)
    assert state.number == "AV2026-000001"
    assert state.draft.type_code == "381"
    assert state.totals.total_cents == 54_000
