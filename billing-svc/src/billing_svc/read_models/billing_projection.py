"""billing-svc's read models as an inline projection (ADR 028): rebuilt from zero by replaying its own events.

The commands write these tables in their own transaction, right after each append; this projection applies
billing's private events with the same functions, so the two cannot disagree. It is not run live (the
runtime would apply every event a second time), only to rebuild. Table by table:

Rebuilt (reset, then written again from billing's own events):
* `issued_invoices`: `InvoiceFinalised` on the invoice's stream, folded; its Factur-X XML is `build_cii` of
  the issued invoice, which the events hold entirely (seller, buyer, lines, totals, number, dates): the
  finalisation stores that very XML (checked with a placeholder number, the number put in), so the rebuild
  gives it byte for byte, dated by the event's `finalised_at`.
* `receivables`, `receivable_entries`, `receivable_payments`, `dunning_notices`, `guarantee_fund_entries`:
  `record_receivable` with the receivable's state after each event of `receivable-<invoice>`.
* `client_credits`: the balance after each event of `client-credit-<siren>` (`record_client_credit`).
* `account_movements`, `account_entries`: `accounts.record` per event of `account-<activity>`; reservations
  and their releases are on the account's stream only (no table: the API folds the stream).
* `gdc_months`: `GdcMonthClosed`; `sepa_mandates`: `SepaMandateSigned`.

Kept, not reset:
* `invoice_counters`: command-side state of the gapless numbering (ADR 011), not a read model: the
  finalisation locks its row and takes the next number from it. Emptied, the next invoice of a series would
  take number 1 again; it is what the numbering relies on, and is restored with the events, not derived.
* `gdc_associations` (members.EmployerStructureRegistered), `gdc_payslips` (payroll.PayslipIssued; its
  `closed_month` is set by the month's close, whose event does not list the payslips it took) and
  `contract_activities` (contracts.BudgetReservationRequested): fed by other services' events through the
  inbox, not in billing's own log: nothing here could replay them.
* `direct_debits`: each row is a pain.008 file as built, XSD-checked and handed to the bank. The creditor
  it names (name, IBAN, BIC, SEPA creditor id) comes from the tenant's reference data at the collection,
  which `CollectedUnderMandate` does not carry: rebuilt, the file would name the creditor as configured
  at the rebuild, not the one the bank received. Its withdrawal columns are written with the row's
  `DirectDebitWithdrawn`, in the revocation's transaction, and kept with it.
* `gdc_scheduled_runs`: the worker's own record of the monthly runs it completed (no event): the scheduler's
  state, not a read model.

A rebuild empties tables the commands read (`issued_invoices` what is left to credit, `receivables` the
collection run, `sepa_mandates` the monthly run): run it with the service's writers stopped.
"""

from __future__ import annotations

from billing_svc.accounts_codec import ACCOUNT_CODEC
from billing_svc.codecs import (
    CLIENT_CREDIT,
    CLIENT_CREDIT_CODEC,
    GDC_MONTH_CODEC,
    INVOICE,
    INVOICE_CODEC,
    MANDATE_CODEC,
    RECEIVABLE,
    RECEIVABLE_CODEC,
)
from billing_svc.domain.gdc import GdcMonthClosed
from billing_svc.domain.gdc.mandates import SepaMandateSigned
from billing_svc.domain.invoicing import IssuedInvoice
from billing_svc.domain.invoicing.events import InvoiceFinalised
from billing_svc.domain.receivables import Receivable
from billing_svc.facturx.cii import build_cii
from billing_svc.read_models import accounts
from billing_svc.read_models.gdc import record_gdc_month, record_mandate
from billing_svc.read_models.invoicing import record_issued_invoice
from billing_svc.read_models.receivables import record_client_credit, record_receivable
from services.eventstore.store import EventStore
from services.eventstore.types import RecordedEvent
from services.log_reader import Conn
from services.replay_states import StreamStates

# The streams of each aggregate (the domain's `stream_id`s).
INVOICE_STREAMS, RECEIVABLE_STREAMS, CREDIT_STREAMS = "invoice-", "receivable-", "client-credit-"
ACCOUNT_STREAMS, MONTH_STREAMS, MANDATE_STREAMS = "account-", "gdc-month-", "sepa-mandate-"
REBUILT = (
    "issued_invoices",
    "receivables",
    "receivable_entries",
    "receivable_payments",
    "dunning_notices",
    "guarantee_fund_entries",
    "client_credits",
    "account_movements",
    "account_entries",
    "gdc_months",
    "sepa_mandates",
)


class BillingViews:
    """Projection of billing's own events into the tables its commands write (see the module's docstring)."""

    name = "billing-views"

    def __init__(self, store: EventStore) -> None:
        self._invoices = StreamStates(store, INVOICE, INVOICE_CODEC)
        self._receivables = StreamStates(store, RECEIVABLE, RECEIVABLE_CODEC)
        self._credits = StreamStates(store, CLIENT_CREDIT, CLIENT_CREDIT_CODEC)

    async def handle(self, conn: Conn, event: RecordedEvent) -> None:
        tenant, stream = event.tenant, event.stream_id
        if stream.startswith(INVOICE_STREAMS):
            finalised, invoice = await self._invoices.after(conn, event)
            if isinstance(finalised, InvoiceFinalised) and isinstance(invoice, IssuedInvoice):
                await record_issued_invoice(conn, tenant, invoice, build_cii(invoice))
        elif stream.startswith(RECEIVABLE_STREAMS):
            decoded, receivable = await self._receivables.after(conn, event)
            if isinstance(receivable, Receivable):
                await record_receivable(conn, tenant, event.stream_version, receivable, [decoded])
        elif stream.startswith(CREDIT_STREAMS):
            moved, credit = await self._credits.after(conn, event)
            await record_client_credit(conn, tenant, moved.buyer_siren, credit.balance_cents)
        elif stream.startswith(ACCOUNT_STREAMS):
            await accounts.record(conn, tenant, event.stream_version, ACCOUNT_CODEC.decode(event))
        elif stream.startswith(MONTH_STREAMS):
            closed = GDC_MONTH_CODEC.decode(event)
            if isinstance(closed, GdcMonthClosed):
                await record_gdc_month(conn, tenant, closed)
        elif stream.startswith(MANDATE_STREAMS):
            signed = MANDATE_CODEC.decode(event)
            if isinstance(signed, SepaMandateSigned):
                await record_mandate(conn, tenant, signed)

    async def reset(self, conn: Conn) -> None:
        """Empties the tables of billing's own events (see the module's docstring for those it keeps)."""
        for states in (self._invoices, self._receivables, self._credits):
            states.clear()
        await conn.execute(f"TRUNCATE {', '.join(REBUILT)}")
