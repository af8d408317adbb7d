"""The invoice aggregate: a draft, free to change, then finalised (numbered) once and never changed again.

A credit note (type 381) is the same aggregate correcting an issued invoice: its own number in its series.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from billing_svc.domain.invoicing.amounts import totals, vat_breakdown
from billing_svc.domain.invoicing.events import (
    Address,
    CorrectedInvoice,
    DraftContent,
    InvoiceDraftChanged,
    InvoiceDraftDiscarded,
    InvoiceDrafted,
    InvoiceEvent,
    InvoiceFinalised,
    Line,
    Mentions,
    Party,
    PaymentTerms,
    Totals,
    TypeCode,
    VatBreakdown,
)
from billing_svc.domain.invoicing.reference import BillingReference
from billing_svc.domain.invoicing.rules import (
    CannotFinalise,
    CreditNoteRefused,
    InvoiceAlreadyExists,
    InvoiceAlreadyIssued,
    InvoiceDiscarded,
    UnknownInvoice,
    check_content,
    check_party,
    check_series,
    due_date,
    invoice_number,
)

__all__ = [
    "Address",
    "ChangeDraft",
    "CorrectedInvoice",
    "DiscardDraft",
    "DraftContent",
    "DraftInvoice",
    "DraftState",
    "FinaliseInvoice",
    "InvoiceCommand",
    "InvoiceEvent",
    "InvoiceState",
    "IssuedInvoice",
    "Line",
    "Party",
    "PaymentTerms",
    "decide",
    "evolve",
    "initial_state",
    "stream_id",
]


@dataclass(frozen=True)
class DraftInvoice:
    """A new draft; with `corrects`, a credit note for at most `credit_available_cents` of that invoice."""

    invoice_id: UUID
    series: str
    activity_id: UUID
    seller: Party
    content: DraftContent
    now: datetime
    today: date  # Europe/Paris
    reference: BillingReference
    corrects: CorrectedInvoice | None = None
    credit_available_cents: int | None = None


@dataclass(frozen=True)
class ChangeDraft:
    invoice_id: UUID
    content: DraftContent
    now: datetime
    today: date
    reference: BillingReference
    credit_available_cents: int | None = None


@dataclass(frozen=True)
class DiscardDraft:
    invoice_id: UUID
    now: datetime


@dataclass(frozen=True)
class FinaliseInvoice:
    """Issue the draft under `sequence` of its series (taken by the numbering, under the series lock)."""

    invoice_id: UUID
    sequence: int
    issue_date: date  # Europe/Paris, taken under the series lock: numbers follow the dates
    now: datetime
    reference: BillingReference


InvoiceCommand = DraftInvoice | ChangeDraft | DiscardDraft | FinaliseInvoice


@dataclass(frozen=True)
class NoInvoice:
    pass


@dataclass(frozen=True)
class DraftState:
    invoice_id: UUID
    type_code: TypeCode
    series: str
    activity_id: UUID
    seller: Party
    content: DraftContent
    corrects: CorrectedInvoice | None
    drafted_at: datetime
    discarded: bool = False


@dataclass(frozen=True)
class IssuedInvoice:
    draft: DraftState
    number: str
    sequence: int
    issue_date: date
    due_date: date
    vat_breakdown: tuple[VatBreakdown, ...]
    totals: Totals
    mentions: Mentions
    finalised_at: datetime


InvoiceState = NoInvoice | DraftState | IssuedInvoice
initial_state: InvoiceState = NoInvoice()


def _editable(state: InvoiceState, invoice_id: UUID) -> DraftState:
    if isinstance(state, NoInvoice):
        raise UnknownInvoice(f"no invoice {invoice_id}")
    if isinstance(state, IssuedInvoice):
        raise InvoiceAlreadyIssued(f"invoice {state.number} is issued: a credit note corrects it")
    if state.discarded:
        raise InvoiceDiscarded(f"the draft {invoice_id} was discarded")
    return state


def _check_credit(
    content: DraftContent, reference: BillingReference, on: date, available: int | None
) -> None:
    """A credit note gives back at most what is left of the corrected invoice (VAT included)."""
    if available is None:
        raise CreditNoteRefused("the amount left to credit on the corrected invoice is not known")
    exemption = None if content.vat_exemption is None else reference.exemption(content.vat_exemption, on)
    total = totals(content, vat_breakdown(content, exemption)).total_cents
    if total > available:
        raise CreditNoteRefused(
            f"the credit note ({total} cents) exceeds what is left to credit ({available})"
        )


def decide_draft(command: DraftInvoice, state: InvoiceState) -> list[InvoiceEvent]:
    if not isinstance(state, NoInvoice):
        raise InvoiceAlreadyExists(f"invoice {command.invoice_id} exists already")
    seller = check_party("seller", command.seller, siren_required=True)
    content = check_content(command.content, command.reference, command.today)
    if command.corrects is not None:
        _check_credit(content, command.reference, command.today, command.credit_available_cents)
    return [
        InvoiceDrafted(
            invoice_id=command.invoice_id,
            type_code="381" if command.corrects is not None else "380",
            series=check_series(command.series),
            activity_id=command.activity_id,
            seller=seller,
            content=content,
            corrects=command.corrects,
            drafted_at=command.now,
        )
    ]


def decide_change(command: ChangeDraft, state: InvoiceState) -> list[InvoiceEvent]:
    draft = _editable(state, command.invoice_id)
    content = check_content(command.content, command.reference, command.today)
    if draft.corrects is not None:
        _check_credit(content, command.reference, command.today, command.credit_available_cents)
    if content == draft.content:
        return []
    return [InvoiceDraftChanged(invoice_id=command.invoice_id, content=content, changed_at=command.now)]


def decide_discard(command: DiscardDraft, state: InvoiceState) -> list[InvoiceEvent]:
    if isinstance(state, DraftState) and state.discarded:
        return []
    _editable(state, command.invoice_id)
    return [InvoiceDraftDiscarded(invoice_id=command.invoice_id, discarded_at=command.now)]


def decide_finalise(command: FinaliseInvoice, state: InvoiceState) -> list[InvoiceEvent]:
    if isinstance(state, IssuedInvoice):
        return []  # a retried finalisation: issued once, numbered once
    draft = _editable(state, command.invoice_id)
    on = command.issue_date
    try:
        content = check_content(draft.content, command.reference, on)  # the tables in force on the issue date
    except ValueError as changed:
        raise CannotFinalise(f"the draft no longer holds on {on}: {changed}") from changed
    exemption = (
        None if content.vat_exemption is None else command.reference.exemption(content.vat_exemption, on)
    )
    breakdown = vat_breakdown(content, exemption)
    amounts = totals(content, breakdown)
    if draft.type_code == "380" and amounts.total_cents <= 0:
        raise CannotFinalise("an invoice of nothing is not issued")
    terms = command.reference.terms(on)
    business = content.buyer.kind == "business"
    return [
        InvoiceFinalised(
            invoice_id=command.invoice_id,
            number=invoice_number(draft.series, command.sequence),
            sequence=command.sequence,
            issue_date=on,
            due_date=due_date(on, content.payment_terms.days, content.payment_terms.end_of_month),
            vat_breakdown=breakdown,
            totals=amounts,
            mentions=Mentions(
                late_penalty=terms.late_penalty,
                recovery_indemnity=terms.recovery_indemnity if business else None,
                early_payment_discount=terms.early_payment_discount,
                recovery_indemnity_cents=terms.recovery_indemnity_cents if business else 0,
            ),
            finalised_at=command.now,
        )
    ]


def decide(command: InvoiceCommand, state: InvoiceState) -> list[InvoiceEvent]:
    match command:
        case DraftInvoice():
            return decide_draft(command, state)
        case ChangeDraft():
            return decide_change(command, state)
        case DiscardDraft():
            return decide_discard(command, state)
        case FinaliseInvoice():
            return decide_finalise(command, state)


def evolve(state: InvoiceState, event: InvoiceEvent) -> InvoiceState:
    match event:
        case InvoiceDrafted():
            return DraftState(
                invoice_id=event.invoice_id,
                type_code=event.type_code,
                series=event.series,
                activity_id=event.activity_id,
                seller=event.seller,
                content=event.content,
                corrects=event.corrects,
                drafted_at=event.drafted_at,
            )
        case InvoiceDraftChanged():
            return replace(state, content=event.content) if isinstance(state, DraftState) else state
        case InvoiceDraftDiscarded():
            return replace(state, discarded=True) if isinstance(state, DraftState) else state
        case InvoiceFinalised():
            if not isinstance(state, DraftState):
                return state
            return IssuedInvoice(
                draft=state,
                number=event.number,
                sequence=event.sequence,
                issue_date=event.issue_date,
                due_date=event.due_date,
                vat_breakdown=event.vat_breakdown,
                totals=event.totals,
                mentions=event.mentions,
                finalised_at=event.finalised_at,
            )


def stream_id(invoice_id: UUID) -> str:
    return f"invoice-{invoice_id}"
