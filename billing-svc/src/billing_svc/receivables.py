"""Receivable commands as the API, the collection run and the policy on billing's topic run them (ADR 015).

A receivable is opened from `billing.InvoiceIssued` consumed from billing.events (the finalisation path, which
holds the series lock, is left alone); a payment or a credit note that comes first opens it from the invoice's
own stream in its transaction, so the order of arrival does not matter (opening twice decides nothing). Each
command's events, its public events and its read-model rows commit together.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import UUID

from billing_svc.codecs import (
    CLIENT_CREDIT,
    CLIENT_CREDIT_CODEC,
    INVOICE,
    INVOICE_CODEC,
    RECEIVABLE,
    RECEIVABLE_CODEC,
)
from billing_svc.domain import invoicing
from billing_svc.domain.invoicing import IssuedInvoice
from billing_svc.domain.receivables import (
    ApplyCreditNote,
    Collect,
    OpenReceivable,
    ProvisionDoubtful,
    Receivable,
    ReceivableCommand,
    RecordPayment,
    WriteOff,
    client_credit,
)
from billing_svc.domain.receivables import stream_id as receivable_stream
from billing_svc.domain.receivables.client_credit import (
    ApplyCredit,
    ClientCreditApplied,
    ClientCreditKept,
    ClientCreditRefunded,
    KeepCredit,
    RefundCredit,
)
from billing_svc.domain.receivables.events import (
    CreditNoteApplied,
    DunningNoticeSent,
    GuaranteeFundCovered,
    PaymentRecorded,
    PaymentSource,
    ReceivableEvent,
    ReceivableOpened,
)
from billing_svc.domain.receivables.rules import PaymentRefused, UnknownReceivable
from billing_svc.domain.receivables.terms import CollectionTerms
from billing_svc.integration.receivables_outbound import client_credit_public, receivable_public
from billing_svc.read_models.receivables import record_client_credit, record_receivable
from billing_svc.receivables_reference import COLLECTION_TERMS
from schemas.generated.billing.credit_note_issued_v1 import CreditNoteIssuedV1
from schemas.generated.billing.invoice_issued_v1 import InvoiceIssuedV1
from services import command_loop
from services.command_loop import Handled, ToPublic
from services.decider import Decider, EventCodec
from services.envelope import Envelope
from services.eventstore.errors import ConcurrencyConflict
from services.log_reader import Conn
from services.runtime import Resources
from services.telemetry import current_traceparent

ATTEMPTS = 5  # a concurrent command on the same receivable aborts the transaction: it is run again
T = TypeVar("T")
C = TypeVar("C")
E = TypeVar("E")
S = TypeVar("S")


@dataclass(frozen=True)
class CollectionOutcome:
    run_on: date
    notices: list[DunningNoticeSent] = field(default_factory=list)
    covered: list[GuaranteeFundCovered] = field(default_factory=list)


def opened_from_invoice(invoice: IssuedInvoice) -> ReceivableOpened:
    return ReceivableOpened(
        invoice_id=invoice.draft.invoice_id,
        activity_id=invoice.draft.activity_id,
        number=invoice.number,
        buyer_siren=invoice.draft.content.buyer.siren,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        total_cents=invoice.totals.total_cents,
        excluding_vat_cents=invoice.totals.basis_cents,
        recovery_indemnity_cents=invoice.mentions.recovery_indemnity_cents,
        opened_at=invoice.finalised_at,
    )


@dataclass(frozen=True)
class Receivables:
    resources: Resources
    terms: CollectionTerms = COLLECTION_TERMS

    # ---- the policy on billing.events ----

    async def on_billing_event(self, conn: Conn, envelope: Envelope) -> None:
        """InvoiceIssued opens the receivable, CreditNoteIssued lowers it: in the inbox's transaction."""
        if envelope.schema_version != 1:
            return
        metadata = {"correlation_id": envelope.correlation_id, "causation_id": envelope.event_id}
        if envelope.event_type == "billing.InvoiceIssued":
            issued = InvoiceIssuedV1.model_validate(envelope.data)
            invoice = await self._invoice(conn, issued.invoice_id, envelope.tenant)
            await self._run(conn, envelope.tenant, OpenReceivable(opened_from_invoice(invoice)), metadata)
        elif envelope.event_type == "billing.CreditNoteIssued":
            note = CreditNoteIssuedV1.model_validate(envelope.data)
            await self._credit(conn, envelope.tenant, note.corrects_invoice_id, note.invoice_id, metadata)

    # ---- commands ----

    async def record_payment(
        self,
        invoice_id: UUID,
        payment_id: UUID,
        *,
        amount_cents: int,
        received_on: date,
        source: PaymentSource,
        reference: str | None,
        tenant: str,
        correlation_id: str,
    ) -> tuple[Receivable, PaymentRecorded]:
        metadata = _metadata(correlation_id)

        async def work(conn: Conn) -> tuple[Receivable, PaymentRecorded]:
            await self._ensure_open(conn, tenant, invoice_id, metadata)
            now = datetime.now(UTC)
            command = RecordPayment(invoice_id, payment_id, amount_cents, received_on, now, source, reference)
            state, events = await self._run(conn, tenant, command, metadata)
            paid = next((p for p in state.payments if p.payment_id == payment_id), None)
            assert paid is not None
            siren = state.opened.buyer_siren
            if events and siren is not None:
                if source == "client_credit":
                    applied = ClientCreditApplied(
                        buyer_siren=siren,
                        payment_id=payment_id,
                        invoice_id=invoice_id,
                        amount_cents=amount_cents,
                        applied_on=received_on,
                        recorded_at=now,
                    )
                    await self._credit_account(conn, tenant, siren, ApplyCredit(applied), metadata)
                if paid.excess_cents:
                    kept = ClientCreditKept(
                        buyer_siren=siren,
                        source_id=payment_id,
                        invoice_id=invoice_id,
                        amount_cents=paid.excess_cents,
                        kept_on=received_on,
                        recorded_at=now,
                    )
                    await self._credit_account(conn, tenant, siren, KeepCredit(kept), metadata)
            elif source == "client_credit" and siren is None:
                raise PaymentRefused("a client without SIREN has no credit to apply")
            return state, paid

        return await self._transaction(work)

    async def provision(
        self, invoice_id: UUID, *, reason: str, on: date, tenant: str, correlation_id: str
    ) -> Receivable:
        command = ProvisionDoubtful(invoice_id, reason, on, datetime.now(UTC))
        return await self._command(invoice_id, command, tenant, correlation_id)

    async def write_off(
        self, invoice_id: UUID, *, reason: str, on: date, tenant: str, correlation_id: str
    ) -> Receivable:
        command = WriteOff(invoice_id, reason, on, datetime.now(UTC))
        return await self._command(invoice_id, command, tenant, correlation_id)

    async def refund_credit(
        self,
        buyer_siren: str,
        refund_id: UUID,
        *,
        amount_cents: int,
        refunded_on: date,
        reference: str | None,
        tenant: str,
        correlation_id: str,
    ) -> tuple[ClientCreditRefunded, int]:
        """Give back part or all of a client's credit: the refund and the credit left after it."""
        refunded = ClientCreditRefunded(
            buyer_siren=buyer_siren,
            refund_id=refund_id,
            amount_cents=amount_cents,
            refunded_on=refunded_on,
            reference=reference,
            recorded_at=datetime.now(UTC),
        )
        metadata = _metadata(correlation_id)

        async def work(conn: Conn) -> tuple[ClientCreditRefunded, int]:
            handled = await self._credit_account(conn, tenant, buyer_siren, RefundCredit(refunded), metadata)
            if not handled.events:  # given already (a retried request names the same refund): as recorded
                return await self._refund_recorded(conn, tenant, refunded), handled.state.balance_cents
            return refunded, handled.state.balance_cents

        return await self._transaction(work)

    async def credit_statement(self, buyer_siren: str, *, tenant: str) -> list[client_credit.CreditMovement]:
        """The client's credit movement by movement, from its stream (a client's is short)."""
        recorded = await self.resources.store.read_stream(client_credit.stream_id(buyer_siren), tenant=tenant)
        return client_credit.statement(map(CLIENT_CREDIT_CODEC.decode, recorded))

    async def _refund_recorded(
        self, conn: Conn, tenant: str, refund: ClientCreditRefunded
    ) -> ClientCreditRefunded:
        recorded = await self.resources.store.read_stream(
            client_credit.stream_id(refund.buyer_siren), tenant=tenant, conn=conn
        )
        return next(
            event
            for event in map(CLIENT_CREDIT_CODEC.decode, recorded)
            if isinstance(event, ClientCreditRefunded) and event.refund_id == refund.refund_id
        )

    async def collect(self, run_on: date, *, tenant: str, correlation_id: str) -> CollectionOutcome:
        """The day's collection run for a tenant: each unpaid receivable past its due date gets the notice
        whose day has come, or the fund's coverage after the last one; one transaction per receivable, so a
        run stopped halfway is simply run again (each step is decided once)."""
        rows = await self.resources.pool.fetch(
            """SELECT invoice_id FROM receivables
               WHERE tenant = $1 AND unpaid_cents > 0 AND written_off_on IS NULL AND due_date < $2
               ORDER BY due_date, invoice_id""",
            tenant,
            run_on,
        )
        outcome = CollectionOutcome(run_on)
        metadata = _metadata(correlation_id)
        for row in rows:
            invoice_id = row["invoice_id"]

            async def work(conn: Conn, invoice_id: UUID = invoice_id) -> list[ReceivableEvent]:
                command = Collect(invoice_id, run_on, datetime.now(UTC), self.terms)
                return (await self._run(conn, tenant, command, metadata))[1]

            for event in await self._transaction(work):
                if isinstance(event, DunningNoticeSent):
                    outcome.notices.append(event)
                elif isinstance(event, GuaranteeFundCovered):
                    outcome.covered.append(event)
        return outcome

    # ---- the loop ----

    async def _command(
        self, invoice_id: UUID, command: ReceivableCommand, tenant: str, correlation_id: str
    ) -> Receivable:
        metadata = _metadata(correlation_id)

        async def work(conn: Conn) -> Receivable:
            await self._ensure_open(conn, tenant, invoice_id, metadata)
            return (await self._run(conn, tenant, command, metadata))[0]

        return await self._transaction(work)

    async def _transaction(self, work: Callable[[Conn], Awaitable[T]]) -> T:
        for attempt in range(ATTEMPTS):
            try:
                async with self.resources.pool.acquire() as conn, conn.transaction():
                    result = await work(conn)
                self.resources.store.committed()
                return result
            except ConcurrencyConflict:
                if attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    async def _run(
        self, conn: Conn, tenant: str, command: ReceivableCommand, metadata: Mapping[str, Any]
    ) -> tuple[Receivable, list[ReceivableEvent]]:
        invoice_id = command.opened.invoice_id if isinstance(command, OpenReceivable) else command.invoice_id
        handled = await self._handle(
            conn,
            tenant,
            (RECEIVABLE, RECEIVABLE_CODEC, receivable_public),
            receivable_stream(invoice_id),
            command,
            metadata,
        )
        state = handled.state
        if not isinstance(state, Receivable):
            raise UnknownReceivable(f"no issued invoice {invoice_id}")
        if handled.events:
            await record_receivable(conn, tenant, handled.version, state, handled.events)
        return state, handled.events

    async def _credit_account(
        self,
        conn: Conn,
        tenant: str,
        siren: str,
        command: client_credit.ClientCreditCommand,
        metadata: Mapping[str, Any],
    ) -> Handled[client_credit.ClientCreditEvent, client_credit.ClientCredit]:
        handled = await self._handle(
            conn,
            tenant,
            (CLIENT_CREDIT, CLIENT_CREDIT_CODEC, client_credit_public),
            client_credit.stream_id(siren),
            command,
            metadata,
        )
        if handled.events:
            await record_client_credit(conn, tenant, siren, handled.state.balance_cents)
        return handled

    async def _handle(
        self,
        conn: Conn,
        tenant: str,
        aggregate: tuple[Decider[C, E, S], EventCodec[E], Callable[[S], ToPublic[E]]],
        stream: str,
        command: C,
        metadata: Mapping[str, Any],
    ) -> Handled[E, S]:
        """The loop, with public events translated from the state the command is decided on (they need
        what the events alone do not say: the invoice's activity, the credit's balance). The version read
        here is expected by the loop: a stream that moved in between is a conflict, run again, not a public
        event translated from a stale state."""
        decider, codec, public_of = aggregate
        recorded = await self.resources.store.read_stream(stream, tenant=tenant, conn=conn)
        before = decider.fold(codec.decode(r) for r in recorded)
        return await command_loop.handle(
            self.resources.store,
            decider,
            codec,
            stream,
            command,
            tenant=tenant,
            metadata=metadata,
            to_public=public_of(before),
            conn=conn,
            expected_version=recorded[-1].stream_version if recorded else 0,
        )

    async def _invoice(self, conn: Conn, invoice_id: UUID, tenant: str) -> IssuedInvoice:
        recorded = await self.resources.store.read_stream(
            invoicing.stream_id(invoice_id), tenant=tenant, conn=conn
        )
        state = INVOICE.fold(INVOICE_CODEC.decode(r) for r in recorded)
        if isinstance(state, invoicing.NoInvoice):
            raise UnknownReceivable(f"no invoice {invoice_id}")
        if not isinstance(state, IssuedInvoice):
            what = "discarded" if state.discarded else "a draft"
            raise PaymentRefused(f"invoice {invoice_id} is {what}: only an issued invoice is owed")
        if state.draft.type_code != "380":
            raise PaymentRefused(f"{state.number} is a credit note: it is not paid by the client")
        return state

    async def _ensure_open(
        self, conn: Conn, tenant: str, invoice_id: UUID, metadata: Mapping[str, Any]
    ) -> None:
        """Open the receivable from the invoice's stream if the policy has not yet, with the credit notes
        already issued on it (the policy's own later deliveries then decide nothing)."""
        if await self.resources.store.stream_version(receivable_stream(invoice_id), conn=conn):
            return
        invoice = await self._invoice(conn, invoice_id, tenant)
        await self._run(conn, tenant, OpenReceivable(opened_from_invoice(invoice)), metadata)
        notes = await conn.fetch(
            "SELECT invoice_id FROM issued_invoices WHERE tenant = $1 AND corrects = $2 ORDER BY issued_at",
            tenant,
            invoice_id,
        )
        for note in notes:
            await self._credit(conn, tenant, invoice_id, note["invoice_id"], metadata)

    async def _credit(
        self, conn: Conn, tenant: str, invoice_id: UUID, note_id: UUID, metadata: Mapping[str, Any]
    ) -> None:
        await self._ensure_open(conn, tenant, invoice_id, metadata)
        recorded = await self.resources.store.read_stream(
            invoicing.stream_id(note_id), tenant=tenant, conn=conn
        )
        note = INVOICE.fold(INVOICE_CODEC.decode(r) for r in recorded)
        assert isinstance(note, IssuedInvoice)  # announced issued, or found in issued_invoices
        now = datetime.now(UTC)
        command = ApplyCreditNote(
            invoice_id, note_id, note.totals.total_cents, note.totals.basis_cents, note.issue_date, now
        )
        state, events = await self._run(conn, tenant, command, metadata)
        applied = events[0] if events else None
        siren = state.opened.buyer_siren
        if isinstance(applied, CreditNoteApplied) and applied.excess_cents and siren is not None:
            kept = ClientCreditKept(
                buyer_siren=siren,
                source_id=note_id,
                invoice_id=invoice_id,
                amount_cents=applied.excess_cents,
                kept_on=note.issue_date,
                recorded_at=now,
            )
            await self._credit_account(conn, tenant, siren, KeepCredit(kept), metadata)


def _metadata(correlation_id: str) -> dict[str, Any]:
    return {"correlation_id": correlation_id or None, "traceparent": current_traceparent()}
