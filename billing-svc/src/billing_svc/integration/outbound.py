"""Private invoice events -> public `billing.*` events: ids, numbers, dates, amounts (no names or addresses).

The public event needs what the finalisation fixed and what the draft said (activity, buyer's SIREN, the
corrected invoice), so it is built from the decided event and the draft it was decided on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from billing_svc.domain.invoicing import DraftState, InvoiceState
from billing_svc.domain.invoicing.events import InvoiceEvent, InvoiceFinalised
from schemas.generated.billing.credit_note_issued_v1 import CreditNoteIssuedV1
from schemas.generated.billing.invoice_issued_v1 import InvoiceIssuedV1
from services.command_loop import Decided
from services.envelope import Envelope

ToPublic = Callable[[Sequence[Decided[InvoiceEvent]]], list[Envelope]]


def issued_public(
    draft: DraftState, event: InvoiceFinalised
) -> tuple[str, InvoiceIssuedV1 | CreditNoteIssuedV1]:
    common = {
        "invoice_id": event.invoice_id,
        "activity_id": draft.activity_id,
        "series": draft.series,
        "number": event.number,
        "sequence": event.sequence,
        "issue_date": event.issue_date,
        "currency": "EUR",
        "amount_excluding_vat_cents": event.totals.basis_cents,
        "vat_cents": event.totals.vat_cents,
        "total_cents": event.totals.total_cents,
        "buyer_siren": draft.content.buyer.siren,
        "finalised_at": event.finalised_at,
    }
    if draft.corrects is not None:
        return "billing.CreditNoteIssued", CreditNoteIssuedV1.model_validate(
            {
                **common,
                "corrects_invoice_id": draft.corrects.invoice_id,
                "corrects_number": draft.corrects.number,
            }
        )
    return "billing.InvoiceIssued", InvoiceIssuedV1.model_validate({**common, "due_date": event.due_date})


def to_public_from(state: InvoiceState) -> ToPublic:
    """The translation for events decided on `state` (drafting and changes publish nothing)."""

    def to_public(decided: Sequence[Decided[InvoiceEvent]]) -> list[Envelope]:
        public: list[Envelope] = []
        for one in decided:
            if isinstance(one.event, InvoiceFinalised) and isinstance(state, DraftState):
                event_type, data = issued_public(state, one.event)
                public.append(one.public(event_type, data.model_dump(mode="json")))
        return public

    return to_public
