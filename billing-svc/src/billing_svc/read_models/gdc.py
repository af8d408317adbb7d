"""The GDC months closed and the SEPA mandates signed, as the run and the mandate commands write them in
their transaction and the replay writes them again: every value from the event, the same event written
twice changes nothing."""

from __future__ import annotations

from billing_svc.domain.gdc import GdcMonthClosed
from billing_svc.domain.gdc.mandates import SepaMandateSigned
from services.log_reader import Conn


async def record_gdc_month(conn: Conn, tenant: str, closed: GdcMonthClosed) -> None:
    """The association's month and its invoice. A second close of the month is refused before this, by
    its stream's expected version 0; the invoice id stays unique."""
    await conn.execute(
        """INSERT INTO gdc_months (tenant, employer_id, month, invoice_id, total_cents, closed_at)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant, employer_id, month) DO NOTHING""",
        tenant,
        closed.employer_id,
        closed.month,
        closed.invoice_id,
        closed.gross_cents + closed.employer_contributions_cents + closed.fee_cents,
        closed.closed_at,
    )


async def record_mandate(conn: Conn, tenant: str, signed: SepaMandateSigned) -> None:
    await conn.execute(
        """INSERT INTO sepa_mandates (tenant, mandate_id, employer_id, reference, signed_on, recorded_at)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant, mandate_id) DO NOTHING""",
        tenant,
        signed.mandate_id,
        signed.employer_id,
        signed.reference,
        signed.signed_on,
        signed.recorded_at,
    )
