"""The deciders and their event codecs, under the stable names the event store keeps."""

from __future__ import annotations

from billing_svc.domain import gdc, invoicing, quotes, receivables
from billing_svc.domain.gdc import GdcMonthClosed, mandates
from billing_svc.domain.invoicing.events import (
    InvoiceDraftChanged,
    InvoiceDraftDiscarded,
    InvoiceDrafted,
    InvoiceEvent,
    InvoiceFinalised,
)
from billing_svc.domain.receivables import client_credit
from billing_svc.domain.receivables.events import EVENT_TYPES as RECEIVABLE_EVENT_TYPES
from billing_svc.domain.receivables.events import ReceivableEvent
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

# Stored by the receivables' commands (receivables.py), read back by them and by the replay.
RECEIVABLE_CODEC: EventCodec[ReceivableEvent] = EventCodec(RECEIVABLE_EVENT_TYPES)
RECEIVABLE = Decider(receivables.decide, receivables.evolve, receivables.initial_state)
CLIENT_CREDIT_CODEC: EventCodec[client_credit.ClientCreditEvent] = EventCodec(client_credit.EVENT_TYPES)
CLIENT_CREDIT = Decider(client_credit.decide, client_credit.evolve, client_credit.initial_state)

# Stored by the GDC run and the mandates' commands (gdc.py), read back by them and by the replay.
GDC_MONTH = Decider(gdc.decide, gdc.evolve, gdc.initial_state)
GDC_MONTH_CODEC: EventCodec[GdcMonthClosed] = EventCodec({"GdcMonthClosed": GdcMonthClosed})
MANDATE = Decider(mandates.decide, mandates.evolve, mandates.initial_state)
MANDATE_CODEC: EventCodec[mandates.MandateEvent] = EventCodec(
    {
        "SepaMandateSigned": mandates.SepaMandateSigned,
        "CollectedUnderMandate": mandates.CollectedUnderMandate,
        "SepaMandateRevoked": mandates.SepaMandateRevoked,
        "DirectDebitWithdrawn": mandates.DirectDebitWithdrawn,
    }
)
