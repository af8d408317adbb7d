"""Invoice commands as the API runs them; finalisation takes the series' next number (ADR 011).

Finalising: (1) decide the issue on the current draft under a placeholder number and check its Factur-X XML
(XSD and both schematrons, on the pool) outside any lock, so a refused invoice never holds the series and
fails loudly with the rule named; (2) in one transaction: take the (tenant, series) counter row's lock and
its next value in one upsert, decide again with that number and today's date at the draft's version, append
the events, store the checked XML with the number put in (when anything else differs, midnight having passed,
the XML is built and checked again), commit. A crash anywhere before the commit rolls back the number with
the events; a retry of a finalised invoice is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from billing_svc.codecs import INVOICE, INVOICE_CODEC
from billing_svc.domain import invoicing
from billing_svc.domain.invoicing import (
    ChangeDraft,
    CorrectedInvoice,
    DiscardDraft,
    DraftContent,
    DraftInvoice,
    FinaliseInvoice,
    InvoiceState,
    IssuedInvoice,
    Party,
)
from billing_svc.domain.invoicing.rules import CreditNoteRefused, UnknownInvoice
from billing_svc.facturx.cii import build_cii
from billing_svc.facturx.pool import FacturXValidator
from billing_svc.integration.outbound import to_public_from
from billing_svc.read_models.invoicing import record_issued_invoice
from billing_svc.reference import REFERENCE
from billing_svc.reference.tenants import TENANTS
from services import command_loop
from services.eventstore.errors import ConcurrencyConflict
from services.log_reader import Conn
from services.runtime import Resources
from services.telemetry import current_traceparent

PARIS = ZoneInfo("Europe/Paris")
PREVIEW_SEQUENCE = 999_999  # same width as a real number: the checked XML differs from the issued one by BT-1
FINALISE_ATTEMPTS = 5


def paris_today(now: datetime) -> date:
    return now.astimezone(PARIS).date()


@dataclass(frozen=True)
class Invoices:
    resources: Resources
    validator: FacturXValidator

    async def state(self, invoice_id: UUID, *, tenant: str) -> tuple[int, InvoiceState]:
        recorded = await self.resources.store.read_stream(invoicing.stream_id(invoice_id), tenant=tenant)
        state = INVOICE.fold(INVOICE_CODEC.decode(r) for r in recorded)
        if isinstance(state, invoicing.NoInvoice):
            raise UnknownInvoice(f"no invoice {invoice_id}")
        return (recorded[-1].stream_version if recorded else 0), state

    async def draft(
        self,
        invoice_id: UUID,
        *,
        series: str,
        activity_id: UUID,
        seller: Party | None,
        content: DraftContent,
        corrects: UUID | None,
        tenant: str,
        correlation_id: str,
    ) -> tuple[int, InvoiceState]:
        now = datetime.now(UTC)
        corrected, available = (None, None) if corrects is None else await self._corrected(corrects, tenant)
        command = DraftInvoice(
            invoice_id,
            series,
            activity_id,
            seller if seller is not None else TENANTS.seller(tenant),  # None: the tenant's legal entity
            content,
            now,
            paris_today(now),
            REFERENCE,
            corrected,
            available,
        )
        return await self._handle(command, tenant=tenant, correlation_id=correlation_id)

    async def change(
        self,
        invoice_id: UUID,
        content: DraftContent,
        *,
        tenant: str,
        correlation_id: str,
        expected: int | None,
    ) -> tuple[int, InvoiceState]:
        now = datetime.now(UTC)
        _, state = await self.state(invoice_id, tenant=tenant)
        available = None
        if isinstance(state, invoicing.DraftState) and state.corrects is not None:
            _, available = await self._corrected(state.corrects.invoice_id, tenant)
        command = ChangeDraft(invoice_id, content, now, paris_today(now), REFERENCE, available)
        return await self._handle(command, tenant=tenant, correlation_id=correlation_id, expected=expected)

    async def discard(
        self, invoice_id: UUID, *, tenant: str, correlation_id: str, expected: int | None
    ) -> tuple[int, InvoiceState]:
        command = DiscardDraft(invoice_id, datetime.now(UTC))
        return await self._handle(command, tenant=tenant, correlation_id=correlation_id, expected=expected)

    async def finalise(
        self, invoice_id: UUID, *, tenant: str, correlation_id: str
    ) -> tuple[int, IssuedInvoice]:
        for attempt in range(FINALISE_ATTEMPTS):
            version, state = await self.state(invoice_id, tenant=tenant)
            if isinstance(state, IssuedInvoice):
                return version, state  # finalised already (a retry): the same number
            today = paris_today(datetime.now(UTC))
            preview = _issued(
                state, FinaliseInvoice(invoice_id, PREVIEW_SEQUENCE, today, datetime.now(UTC), REFERENCE)
            )
            checked = build_cii(preview)
            await self.validator.check(checked)
            try:
                return await self._issue(
                    invoice_id, state, version, (preview, checked), tenant, correlation_id
                )
            except ConcurrencyConflict:
                if attempt == FINALISE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    async def _issue(
        self,
        invoice_id: UUID,
        draft: InvoiceState,
        version: int,
        checked: tuple[IssuedInvoice, bytes],
        tenant: str,
        correlation_id: str,
    ) -> tuple[int, IssuedInvoice]:
        assert isinstance(draft, invoicing.DraftState)
        resources = self.resources
        async with resources.pool.acquire() as conn, conn.transaction():
            # One round trip takes the row's lock (held to the commit) and the next number; a rollback
            # (crash, conflict, refusal) gives the number back.
            sequence = await conn.fetchval(
                """INSERT INTO invoice_counters AS c (tenant, series, last_sequence) VALUES ($1, $2, 1)
                   ON CONFLICT (tenant, series) DO UPDATE SET last_sequence = c.last_sequence + 1
                   RETURNING last_sequence""",
                tenant,
                draft.series,
            )
            now = datetime.now(UTC)  # under the lock: a later number never bears an earlier date
            command = FinaliseInvoice(invoice_id, int(sequence), paris_today(now), now, REFERENCE)
            handled = await command_loop.handle(
                resources.store,
                INVOICE,
                INVOICE_CODEC,
                invoicing.stream_id(invoice_id),
                command,
                tenant=tenant,
                metadata={"correlation_id": correlation_id or None, "traceparent": current_traceparent()},
                to_public=to_public_from(draft),
                occurred_at=now,
                conn=conn,
                expected_version=version,
            )
            issued = handled.state
            assert isinstance(issued, IssuedInvoice)  # decided on the draft at `version`
            if issued.draft.corrects is not None:
                await _still_creditable(conn, tenant, issued)
            xml = _numbered(checked, issued)
            if xml is None:  # something besides the number differs (midnight passed): build and check it all
                xml = build_cii(issued)
                await self.validator.check(xml)
            await record_issued_invoice(conn, tenant, issued, xml)
        resources.store.committed()
        return handled.version, issued

    async def issued_xml(self, invoice_id: UUID, *, tenant: str) -> bytes | None:
        from services.tenancy import tenant_transaction

        async with tenant_transaction(self.resources.pool, tenant) as conn:
            xml = await conn.fetchval(
                "SELECT cii_xml FROM issued_invoices WHERE tenant = $1 AND invoice_id = $2",
                tenant,
                invoice_id,
            )
        return None if xml is None else str(xml).encode("utf-8")

    async def _corrected(self, invoice_id: UUID, tenant: str) -> tuple[CorrectedInvoice, int]:
        try:
            _, state = await self.state(invoice_id, tenant=tenant)
        except UnknownInvoice as unknown:
            raise CreditNoteRefused(f"no invoice {invoice_id} to correct") from unknown
        if not isinstance(state, IssuedInvoice) or state.draft.type_code != "380":
            raise CreditNoteRefused(f"{invoice_id} is not an issued invoice: only those are corrected")
        credited = await self.resources.pool.fetchval(
            "SELECT coalesce(sum(total_cents), 0) FROM issued_invoices WHERE tenant = $1 AND corrects = $2",
            tenant,
            invoice_id,
        )
        corrected = CorrectedInvoice(
            invoice_id=invoice_id,
            number=state.number,
            issue_date=state.issue_date,
            total_cents=state.totals.total_cents,
        )
        return corrected, state.totals.total_cents - int(credited)

    async def _handle(
        self,
        command: invoicing.InvoiceCommand,
        *,
        tenant: str,
        correlation_id: str,
        expected: int | None = None,
    ) -> tuple[int, InvoiceState]:
        handled = await command_loop.handle(
            self.resources.store,
            INVOICE,
            INVOICE_CODEC,
            invoicing.stream_id(command.invoice_id),
            command,
            tenant=tenant,
            metadata={"correlation_id": correlation_id or None, "traceparent": current_traceparent()},
            expected_version=expected,
        )
        return handled.version, handled.state


async def _still_creditable(conn: Conn, tenant: str, note: IssuedInvoice) -> None:
    """Two credit note drafts may each fit what was left of the invoice, not both: the corrected invoice's
    row is locked while the credit notes already issued on it are summed (their series may differ)."""
    corrected = note.draft.corrects
    assert corrected is not None
    await conn.execute(
        "SELECT 1 FROM issued_invoices WHERE tenant = $1 AND invoice_id = $2 FOR UPDATE",
        tenant,
        corrected.invoice_id,
    )
    credited = await conn.fetchval(
        "SELECT coalesce(sum(total_cents), 0) FROM issued_invoices WHERE tenant = $1 AND corrects = $2",
        tenant,
        corrected.invoice_id,
    )
    left = corrected.total_cents - int(credited)
    if note.totals.total_cents > left:
        raise CreditNoteRefused(
            f"the credit note ({note.totals.total_cents} cents) exceeds what is left to credit ({left})"
        )


def _numbered(checked: tuple[IssuedInvoice, bytes], issued: IssuedInvoice) -> bytes | None:
    """The checked XML with its placeholder number (BT-1) replaced by the issued one, when the number is all
    that differs between the two decisions; None otherwise. Numbers hold no character XML escapes."""
    preview, xml = checked
    same = replace(preview, number=issued.number, sequence=issued.sequence, finalised_at=issued.finalised_at)
    if same != issued:
        return None
    placeholder = f"<ram:ID>{preview.number}</ram:ID>".encode()
    assert xml.count(placeholder) >= 1  # BT-1 is the document's first ram:ID with that text
    return xml.replace(placeholder, f"<ram:ID>{issued.number}</ram:ID>".encode(), 1)


def _issued(state: InvoiceState, command: FinaliseInvoice) -> IssuedInvoice:
    """The invoice as `command` would issue it (the domain's refusals raise here, before any lock)."""
    issued = state
    for event in INVOICE.decide(command, state):
        issued = INVOICE.evolve(issued, event)
    assert isinstance(issued, IssuedInvoice)
    return replace(issued)
