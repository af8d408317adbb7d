"""The deciders and their event codecs, under the stable names the event store keeps."""

from __future__ import annotations

from billing_svc.domain import invoicing, quotes
from billing_svc.domain.invoicing.events import (
    InvoiceDraftChanged,
    InvoiceDraftDiscarded,
    InvoiceDrafted,
    InvoiceEvent,
    InvoiceFinalised,
)
from services.decider import Decider, EventCodec

INVOICE_CODEC: EventCodec[InvoiceEvent] = EventCodec(
    {
        "InvoiceDrafted": InvoiceDrafted,
        "InvoiceDraftChanged": InvoiceDraftChanged,
        "InvoiceDraftDiscarded": InvoiceDraftDiscarded,
        "InvoiceFinalised": InvoiceFinalised,
    }
)
INVOICE = Decider(invoicing.decide, invoicing.evolve, invoicing.initial_state)

QUOTE_CODEC: EventCodec[quotes.QuoteEvent] = EventCodec(
    {
        "QuoteDrafted": quotes.QuoteDrafted,
        "QuoteChanged": quotes.QuoteChanged,
        "QuoteAccepted": quotes.QuoteAccepted,
        "QuoteDeclined": quotes.QuoteDeclined,
    }
)
QUOTE = Decider(quotes.decide, quotes.evolve, quotes.initial_state)
