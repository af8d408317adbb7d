"""The issued invoices' read model, written by the finalisation in its transaction and by the replay."""

from __future__ import annotations

from billing_svc.domain.invoicing import IssuedInvoice
from services.log_reader import Conn


async def record_issued_invoice(conn: Conn, tenant: str, issued: IssuedInvoice, cii_xml: bytes) -> None:
    """The issued invoice or credit note with its Factur-X XML, dated as its `InvoiceFinalised` (the
    finalisation's own clock). Its number's unique keys stay the database's guard against a duplicate
    number; the same invoice written again (a replay) changes nothing."""
    draft = issued.draft
    await conn.execute(
        """INSERT INTO issued_invoices (tenant, invoice_id, type_code, series, sequence, number,
               issue_date, total_cents, corrects, cii_xml, issued_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           ON CONFLICT (tenant, invoice_id) DO NOTHING""",
        tenant,
        draft.invoice_id,
        draft.type_code,
        draft.series,
        issued.sequence,
        issued.number,
        issued.issue_date,
        issued.totals.total_cents,
        draft.corrects.invoice_id if draft.corrects else None,
        cii_xml.decode("utf-8"),
        issued.finalised_at,
    )
