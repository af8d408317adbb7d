"""The GDC monthly run and SEPA mandates, as the API runs them (ADR 017).

For each association with payslips not invoiced yet, the run of the 1st (1) closes the previous month: in one
transaction it takes the association's open payslips of that month or before (a correction counted by its
difference with the payslip it corrects), appends `GdcMonthClosed` with the totals, the fee and an invoice id
derived from (tenant, association, month), marks the payslips and writes the `gdc_months` row (unique per
association and month); (2) drafts and finalises that invoice through the invoicing service (both no-ops
when done already); (3) when the association's latest mandate is not revoked, records the collection on
the mandate's stream (FRST, then RCUR) and stores its pain.008 file in the same transaction (revoked or none:
the invoice is paid by transfer). Each step finds the previous one's result when the run is repeated or
resumed after a crash, so a month has exactly one invoice and one file.
"""

from __future__ import annotations

import asyncio
from calendar import monthrange
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid5

from billing_svc.codecs import GDC_MONTH, GDC_MONTH_CODEC, MANDATE, MANDATE_CODEC
from billing_svc.domain import gdc
from billing_svc.domain.gdc import CloseGdcMonth, GdcMonthClosed, MonthTotals, NothingToInvoice, mandates
from billing_svc.domain.gdc.invoice import GdcInvoicing, gdc_content
from billing_svc.domain.gdc.mandates import (
    CollectedUnderMandate,
    CollectUnderMandate,
    Debtor,
    DirectDebitWithdrawn,
    Mandate,
    MandateRevoked,
    RevokeMandate,
    SepaMandateSigned,
    SignMandate,
)
from billing_svc.domain.invoicing import IssuedInvoice, Party
from billing_svc.domain.invoicing.events import Address
from billing_svc.domain.invoicing.rules import InvoiceAlreadyExists
from billing_svc.gdc_outbound import IDS, direct_debit_id_of, mandate_public
from billing_svc.invoices import Invoices, paris_today
from billing_svc.read_models.gdc import record_gdc_month, record_mandate
from billing_svc.reference.tenants import TENANTS
from billing_svc.sepa.direct_debit import Collection, collection_file
from services import command_loop
from services.eventstore.errors import ConcurrencyConflict
from services.runtime import Resources
from services.telemetry import current_traceparent
from services.tenancy import tenant_transaction

# Derived ids (uuid5): the same association and month always name the same invoice, a reference one mandate.
RUN_CONCURRENCY = 4  # associations invoiced at once; finalisation serialises on the series anyway

REVOCATION_ATTEMPTS = 3  # a run collecting under the mandate at the same moment moves its stream on


class UnknownAssociation(LookupError):
    """No employer structure under this id is known to billing (members-svc's event not seen yet)."""


class UnknownDirectDebit(LookupError):
    pass


class WithdrawnDirectDebit(Exception):
    """The direct debit was withdrawn (its mandate revoked before its collection date): never to be
    presented."""


@dataclass(frozen=True)
class GdcInvoiceOutcome:
    employer_id: UUID
    month: str
    invoice_id: UUID
    number: str
    total_cents: int
    direct_debit_id: UUID | None
    sequence_type: str | None


@dataclass(frozen=True)
class HeldMonth:
    employer_id: UUID
    reason: str


@dataclass(frozen=True)
class MonthRun:
    month: str
    invoices: list[GdcInvoiceOutcome]
    held: list[HeldMonth]


def mandate_id_of(tenant: str, reference: str) -> UUID:
    return uuid5(IDS, f"mandate:{tenant}:{reference}")


def invoice_id_of(tenant: str, employer_id: UUID, month: str) -> UUID:
    return uuid5(IDS, f"gdc-invoice:{tenant}:{employer_id}:{month}")


def _last_day(month: str) -> date:
    year, number = (int(part) for part in month.split("-"))
    return date(year, number, monthrange(year, number)[1])


@dataclass(frozen=True)
class Gdc:
    resources: Resources
    invoices: Invoices

    def _metadata(self, correlation_id: str) -> dict[str, object]:
        return {"correlation_id": correlation_id or None, "traceparent": current_traceparent()}

    async def sign_mandate(
        self,
        employer_id: UUID,
        *,
        reference: str,
        signed_on: date,
        debtor: Debtor,
        tenant: str,
        correlation_id: str,
        signing_id: UUID | None = None,
    ) -> Mandate:
        """Sign the association's mandate under `reference`; the same `signing_id` (a retried request) finds
        it signed and answers it as it now stands."""
        resources = self.resources
        if not await resources.pool.fetchval(
            "SELECT 1 FROM gdc_associations WHERE tenant = $1 AND employer_id = $2", tenant, employer_id
        ):
            raise UnknownAssociation(f"no employer structure {employer_id} known to billing")
        now = datetime.now(UTC)
        mandate_id = mandate_id_of(tenant, reference)
        command = SignMandate(
            mandate_id, employer_id, reference, signed_on, debtor, paris_today(now), now, signing_id
        )
        signing = SepaMandateSigned(
            mandate_id=mandate_id,
            employer_id=employer_id,
            reference=reference,
            signed_on=signed_on,
            debtor=debtor,
            recorded_at=now,
        )
        async with resources.pool.acquire() as conn, conn.transaction():
            handled = await command_loop.handle(
                resources.store,
                MANDATE,
                MANDATE_CODEC,
                mandates.stream_id(mandate_id),
                command,
                tenant=tenant,
                metadata=self._metadata(correlation_id),
                to_public=mandate_public(signing),
                occurred_at=now,
                conn=conn,
            )
            assert isinstance(handled.state, Mandate)
            for event in handled.events:
                if isinstance(event, SepaMandateSigned):
                    await record_mandate(conn, tenant, event)
        resources.store.committed()
        return handled.state

    async def revoke_mandate(
        self, employer_id: UUID, mandate_id: UUID, *, revoked_on: date, tenant: str, correlation_id: str
    ) -> Mandate:
        """Revoke the association's mandate: the next runs leave its invoices to be paid by transfer, and each
        collection prepared under it whose collection date is after `revoked_on` is withdrawn (its row in
        `direct_debits` marked in the same transaction, so its file is not served any more)."""
        for attempt in range(REVOCATION_ATTEMPTS):
            try:
                return await self._revoke(employer_id, mandate_id, revoked_on, tenant, correlation_id)
            except ConcurrencyConflict:
                # A run collected under the mandate meanwhile: decide again on what it is now (that
                # collection withdrawn too when it is due after `revoked_on`).
                if attempt == REVOCATION_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    async def _revoke(
        self, employer_id: UUID, mandate_id: UUID, revoked_on: date, tenant: str, correlation_id: str
    ) -> Mandate:
        resources = self.resources
        now = datetime.now(UTC)
        # The public events name the mandate's association and reference, which only its signature holds
        # (never changed after it): an unknown mandate is the decider's to refuse.
        known = await self._mandate_of_id(mandate_id, tenant)
        async with resources.pool.acquire() as conn, conn.transaction():
            handled = await command_loop.handle(
                resources.store,
                MANDATE,
                MANDATE_CODEC,
                mandates.stream_id(mandate_id),
                RevokeMandate(mandate_id, employer_id, revoked_on, paris_today(now), now),
                tenant=tenant,
                metadata=self._metadata(correlation_id),
                to_public=mandate_public(known.signed) if known else command_loop.no_public_events,
                occurred_at=now,
                conn=conn,
            )
            for event in handled.events:
                if isinstance(event, DirectDebitWithdrawn):
                    await conn.execute(
                        """UPDATE direct_debits
                           SET withdrawn_at = $3, withdrawal_reason = $4, mandate_revoked_on = $5
                           WHERE tenant = $1 AND invoice_id = $2""",
                        tenant,
                        event.invoice_id,
                        event.withdrawn_at,
                        event.reason,
                        event.revoked_on,
                    )
        resources.store.committed()
        assert isinstance(handled.state, Mandate)
        return handled.state

    async def run_month(self, run_on: date, *, tenant: str, correlation_id: str) -> MonthRun:
        """Invoice the month before `run_on` for every association with payslips not invoiced yet."""
        settings = TENANTS.gdc(tenant)
        month = gdc.month_invoiced(run_on)
        fee = TENANTS.gdc_fee(tenant, _last_day(month))
        rows = await self.resources.pool.fetch(
            """SELECT DISTINCT p.employer_id FROM gdc_payslips p
                 JOIN gdc_associations a ON a.tenant = p.tenant AND a.employer_id = p.employer_id
               WHERE p.tenant = $1 AND p.closed_month IS NULL AND p.period <= $2
               UNION SELECT employer_id FROM gdc_months WHERE tenant = $1 AND month = $2""",
            tenant,
            month,
        )
        gate = asyncio.Semaphore(RUN_CONCURRENCY)

        async def one(employer_id: UUID) -> GdcInvoiceOutcome | HeldMonth:
            async with gate:
                try:
                    return await self._invoice(employer_id, month, fee, settings, tenant, correlation_id)
                except NothingToInvoice as nothing:
                    return HeldMonth(employer_id, str(nothing))

        done = await asyncio.gather(*(one(r["employer_id"]) for r in rows), return_exceptions=True)
        failed = [outcome for outcome in done if isinstance(outcome, BaseException)]
        if failed:
            raise failed[0]  # the others are done; a new run resumes the failed ones where they stopped
        invoices = sorted((o for o in done if isinstance(o, GdcInvoiceOutcome)), key=lambda o: o.number)
        held = [o for o in done if isinstance(o, HeldMonth)]
        return MonthRun(month, invoices, held)

    async def _invoice(
        self,
        employer_id: UUID,
        month: str,
        fee: Decimal,
        settings: GdcInvoicing,
        tenant: str,
        correlation_id: str,
    ) -> GdcInvoiceOutcome:
        closed = await self._close(employer_id, month, fee, tenant, correlation_id)
        # Drafted already: by a run that stopped before finalising it, or by a concurrent run.
        with suppress(InvoiceAlreadyExists, ConcurrencyConflict):
            await self.invoices.draft(
                closed.invoice_id,
                series=settings.series,
                activity_id=settings.activity_id,
                seller=None,  # the tenant's legal entity
                content=gdc_content(closed, await self._buyer(employer_id, tenant), settings),
                corrects=None,
                tenant=tenant,
                correlation_id=correlation_id,
            )
        _, issued = await self.invoices.finalise(
            closed.invoice_id, tenant=tenant, correlation_id=correlation_id
        )
        collected = await self._collect(employer_id, issued, tenant, correlation_id)
        return GdcInvoiceOutcome(
            employer_id=employer_id,
            month=month,
            invoice_id=closed.invoice_id,
            number=issued.number,
            total_cents=issued.totals.total_cents,
            direct_debit_id=direct_debit_id_of(closed.invoice_id) if collected else None,
            sequence_type=collected.sequence_type if collected else None,
        )

    async def _closed(self, employer_id: UUID, month: str, tenant: str) -> GdcMonthClosed | None:
        recorded = await self.resources.store.read_stream(gdc.stream_id(employer_id, month), tenant=tenant)
        state = GDC_MONTH.fold(GDC_MONTH_CODEC.decode(r) for r in recorded)
        return state.closed if isinstance(state, gdc.ClosedMonth) else None

    async def _close(
        self, employer_id: UUID, month: str, fee: Decimal, tenant: str, correlation_id: str
    ) -> GdcMonthClosed:
        closed = await self._closed(employer_id, month, tenant)
        if closed is not None:
            return closed
        resources = self.resources
        now = datetime.now(UTC)
        try:
            async with resources.pool.acquire() as conn, conn.transaction():
                # The open payslips, locked: a concurrent run waits here, then finds them taken.
                rows = await conn.fetch(
                    """SELECT p.payslip_id,
                              p.gross_cents - coalesce(c.gross_cents, 0) AS gross_cents,
                              (p.employer_cost_cents - p.gross_cents)
                                - coalesce(c.employer_cost_cents - c.gross_cents, 0) AS contributions_cents
                       FROM gdc_payslips p
                         LEFT JOIN gdc_payslips c
                           ON c.tenant = p.tenant AND c.payslip_id = p.corrects_payslip_id
                       WHERE p.tenant = $1 AND p.employer_id = $2 AND p.closed_month IS NULL
                         AND p.period <= $3
                         AND (p.corrects_payslip_id IS NULL OR c.payslip_id IS NOT NULL)
                       ORDER BY p.payslip_id
                       FOR UPDATE OF p""",
                    tenant,
                    employer_id,
                    month,
                )
                totals = MonthTotals(
                    payslips=len(rows),
                    gross_cents=sum(int(r["gross_cents"]) for r in rows),
                    employer_contributions_cents=sum(int(r["contributions_cents"]) for r in rows),
                )
                command = CloseGdcMonth(
                    employer_id, month, invoice_id_of(tenant, employer_id, month), totals, fee, now
                )
                handled = await command_loop.handle(
                    resources.store,
                    GDC_MONTH,
                    GDC_MONTH_CODEC,
                    gdc.stream_id(employer_id, month),
                    command,
                    tenant=tenant,
                    metadata=self._metadata(correlation_id),
                    occurred_at=now,
                    conn=conn,
                    expected_version=0,
                )
                state = handled.state
                assert isinstance(state, gdc.ClosedMonth)
                closed = state.closed
                await conn.execute(
                    """UPDATE gdc_payslips SET closed_month = $3
                       WHERE tenant = $1 AND payslip_id = ANY($2::uuid[])""",
                    tenant,
                    [r["payslip_id"] for r in rows],
                    month,
                )
                await record_gdc_month(conn, tenant, closed)
        except (ConcurrencyConflict, NothingToInvoice):
            again = await self._closed(employer_id, month, tenant)  # a concurrent run closed it first
            if again is None:
                raise
            return again
        resources.store.committed()
        return closed

    async def _buyer(self, employer_id: UUID, tenant: str) -> Party:
        """The association as the invoice names it: its legal name, SIREN and registered address
        (members-svc's event), its e-invoicing address in the directory (its SIREN, ICD 0225). A structure
        registered before the event carried its address is named at its latest mandate's."""
        row = await self.resources.pool.fetchrow(
            "SELECT siret, legal_name, address::text FROM gdc_associations"
            " WHERE tenant = $1 AND employer_id = $2",
            tenant,
            employer_id,
        )
        if row is None:
            raise UnknownAssociation(f"no employer structure {employer_id} known to billing")
        siren = str(row["siret"])[:9]
        address = Address.model_validate_json(row["address"]) if row["address"] is not None else None
        if address is None:
            mandate = await self._mandate(employer_id, tenant)
            address = (
                mandate.signed.debtor.address
                if mandate is not None
                else Address(street="", postal_code="", city="", country="FR")
            )
        return Party(
            name=str(row["legal_name"]),
            siren=siren,
            vat_number=None,
            address=address,
            electronic_address=siren,
            electronic_address_scheme="0225",
        )

    async def _mandate(self, employer_id: UUID, tenant: str) -> Mandate | None:
        """The association's latest signed mandate, revoked or not (its address still names the association;
        a revoked one collects nothing new, even when an older one is not revoked: it was replaced)."""
        mandate_id = await self.resources.pool.fetchval(
            """SELECT mandate_id FROM sepa_mandates WHERE tenant = $1 AND employer_id = $2
               ORDER BY signed_on DESC, recorded_at DESC LIMIT 1""",
            tenant,
            employer_id,
        )
        return None if mandate_id is None else await self._mandate_of_id(mandate_id, tenant)

    async def _mandate_of_id(self, mandate_id: UUID, tenant: str) -> Mandate | None:
        recorded = await self.resources.store.read_stream(mandates.stream_id(mandate_id), tenant=tenant)
        state = MANDATE.fold(MANDATE_CODEC.decode(r) for r in recorded)
        return state if isinstance(state, Mandate) else None

    async def _collect(
        self, employer_id: UUID, issued: IssuedInvoice, tenant: str, correlation_id: str
    ) -> CollectedUnderMandate | None:
        """The invoice's collection under the association's mandate, and its pain.008 file (none without a
        mandate, or under a revoked one: the invoice is then paid by transfer)."""
        try:
            return await self._collect_under(
                await self._mandate(employer_id, tenant), issued, tenant, correlation_id
            )
        except (ConcurrencyConflict, MandateRevoked):
            # A concurrent run collected first, or the mandate was revoked meanwhile: read what it is now.
            return await self._collect_under(
                await self._mandate(employer_id, tenant), issued, tenant, correlation_id
            )

    async def _collect_under(
        self, mandate: Mandate | None, issued: IssuedInvoice, tenant: str, correlation_id: str
    ) -> CollectedUnderMandate | None:
        if mandate is None:
            return None
        done = mandate.collection_of(issued.draft.invoice_id)
        if done is not None or mandate.revoked is not None:
            return done
        signed = mandate.signed
        now = datetime.now(UTC)
        command = CollectUnderMandate(
            signed.mandate_id, issued.draft.invoice_id, issued.totals.total_cents, issued.due_date, now
        )
        collected = await self._collect_once(signed, command, issued, tenant, correlation_id)
        self.resources.store.committed()
        return collected

    async def _collect_once(
        self,
        signed: SepaMandateSigned,
        command: CollectUnderMandate,
        issued: IssuedInvoice,
        tenant: str,
        correlation_id: str,
    ) -> CollectedUnderMandate:
        resources = self.resources
        invoice_id = command.invoice_id
        now = command.now
        async with resources.pool.acquire() as conn, conn.transaction():
            handled = await command_loop.handle(
                resources.store,
                MANDATE,
                MANDATE_CODEC,
                mandates.stream_id(signed.mandate_id),
                command,
                tenant=tenant,
                metadata=self._metadata(correlation_id),
                to_public=mandate_public(signed),
                occurred_at=now,
                conn=conn,
            )
            state = handled.state
            assert isinstance(state, Mandate)
            collected = next(c for c in state.collections if c.invoice_id == invoice_id)
            if handled.events:
                debit_id = direct_debit_id_of(invoice_id)
                creditor = TENANTS.of(tenant).creditor
                xml = collection_file(
                    creditor,
                    Collection(
                        direct_debit_id=debit_id,
                        invoice_number=issued.number,
                        amount_cents=collected.amount_cents,
                        collection_date=collected.collection_date,
                        sequence_type=collected.sequence_type,
                        mandate_reference=signed.reference,
                        mandate_signed_on=signed.signed_on,
                        debtor_name=signed.debtor.name,
                        debtor_iban=signed.debtor.iban,
                        debtor_bic=signed.debtor.bic,
                        debtor_country=signed.debtor.address.country,
                    ),
                    now,
                )
                await conn.execute(
                    """INSERT INTO direct_debits (tenant, direct_debit_id, invoice_id, mandate_id,
                           sequence_type, amount_cents, collection_date, pain_xml, created_at)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
                    tenant,
                    debit_id,
                    invoice_id,
                    signed.mandate_id,
                    collected.sequence_type,
                    collected.amount_cents,
                    collected.collection_date,
                    xml.decode("utf-8"),
                    now,
                )
        return collected

    async def direct_debit_xml(self, direct_debit_id: UUID, *, tenant: str) -> bytes:
        """The file to submit to the bank; a withdrawn one is refused, naming the revocation."""
        async with tenant_transaction(self.resources.pool, tenant) as conn:
            row = await conn.fetchrow(
                """SELECT d.pain_xml, d.withdrawn_at, d.mandate_revoked_on, d.collection_date, m.reference
                   FROM direct_debits d
                     LEFT JOIN sepa_mandates m ON m.tenant = d.tenant AND m.mandate_id = d.mandate_id
                   WHERE d.tenant = $1 AND d.direct_debit_id = $2""",
                tenant,
                direct_debit_id,
            )
        if row is None:
            raise UnknownDirectDebit(f"no direct debit {direct_debit_id}")
        if row["withdrawn_at"] is not None:
            raise WithdrawnDirectDebit(
                f"the direct debit {direct_debit_id} was withdrawn: its mandate {row['reference']!r} was"
                f" revoked on {row['mandate_revoked_on']}, before its collection date"
                f" {row['collection_date']}; do not submit it (the invoice is to be paid by transfer)"
            )
        return str(row["pain_xml"]).encode("utf-8")
