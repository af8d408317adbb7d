"""The receivables' read models, written in the transaction that appends their events (as payroll's are):
the receivable's row, the dated entries the ageing sums, payments, notices, the guarantee fund's ledger and
the clients' credits. Rows are keyed by the events' own ids, and the receivable's row and the credit's
balance are set as the stream's state after the event: writing an event twice changes nothing. The inline
projection (billing_projection) replays billing's events with these same functions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from uuid import NAMESPACE_URL, UUID, uuid5

from billing_svc.domain.receivables import Receivable
from billing_svc.domain.receivables.events import (
    CreditNoteApplied,
    DunningNoticeSent,
    GuaranteeFundCovered,
    PaymentRecorded,
    ReceivableEvent,
    ReceivableOpened,
    WrittenOff,
)
from services.log_reader import Conn


def _entry_id(invoice_id: UUID, what: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"receivable:{invoice_id}:{what}")


async def _entry(
    conn: Conn, tenant: str, invoice_id: UUID, what: str, kind: str, on: object, cents: int
) -> None:
    await conn.execute(
        """INSERT INTO receivable_entries (tenant, invoice_id, entry_id, kind, entry_date, amount_cents)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING""",
        tenant,
        invoice_id,
        _entry_id(invoice_id, what),
        kind,
        on,
        cents,
    )


async def record_receivable(
    conn: Conn, tenant: str, version: int, state: Receivable, events: Sequence[ReceivableEvent]
) -> None:
    opened = state.opened
    await conn.execute(
        """INSERT INTO receivables (tenant, invoice_id, activity_id, number, buyer_siren, issue_date,
               due_date, total_cents, owed_cents, paid_cents, unpaid_cents, last_step, covered_on,
               provisioned_on, written_off_on, version)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
           ON CONFLICT (tenant, invoice_id) DO UPDATE SET
             owed_cents = excluded.owed_cents, paid_cents = excluded.paid_cents,
             unpaid_cents = excluded.unpaid_cents, last_step = excluded.last_step,
             covered_on = excluded.covered_on, provisioned_on = excluded.provisioned_on,
             written_off_on = excluded.written_off_on, version = excluded.version
           WHERE receivables.version < excluded.version""",
        tenant,
        opened.invoice_id,
        opened.activity_id,
        opened.number,
        opened.buyer_siren,
        opened.issue_date,
        opened.due_date,
        opened.total_cents,
        state.owed_cents,
        state.paid_cents,
        state.unpaid_cents,
        state.last_step,
        state.covered.covered_on if state.covered else None,
        state.provisioned.provisioned_on if state.provisioned else None,
        state.written_off.written_off_on if state.written_off else None,
        version,
    )
    for event in events:
        await _record_event(conn, tenant, opened, event)


async def _record_event(conn: Conn, tenant: str, opened: ReceivableOpened, event: ReceivableEvent) -> None:
    invoice_id = opened.invoice_id
    match event:
        case ReceivableOpened():
            await _entry(conn, tenant, invoice_id, "issued", "issued", event.issue_date, event.total_cents)
        case CreditNoteApplied():
            # What was paid beyond the new amount went to the client's credit: it no longer counts as paid.
            await _entry(
                conn,
                tenant,
                invoice_id,
                f"credit-note:{event.credit_note_id}",
                "credit_note",
                event.applied_on,
                -(event.total_cents - event.excess_cents),
            )
        case PaymentRecorded():
            await conn.execute(
                """INSERT INTO receivable_payments (tenant, payment_id, invoice_id, source, amount_cents,
                       allocated_cents, allocated_excluding_vat_cents, excess_cents, to_fund, received_on,
                       reference, recorded_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING""",
                tenant,
                event.payment_id,
                invoice_id,
                event.source,
                event.amount_cents,
                event.allocated_cents,
                event.allocated_excluding_vat_cents,
                event.excess_cents,
                event.to_fund,
                event.received_on,
                event.reference,
                event.recorded_at,
            )
            if event.allocated_cents:
                await _entry(
                    conn,
                    tenant,
                    invoice_id,
                    f"payment:{event.payment_id}",
                    "payment",
                    event.received_on,
                    -event.allocated_cents,
                )
            if event.to_fund:
                await _fund_entry(
                    conn,
                    tenant,
                    opened,
                    f"recovered:{event.payment_id}",
                    "recovered",
                    event.received_on,
                    event.allocated_cents,
                    event.allocated_excluding_vat_cents,
                    event.recorded_at,
                )
        case DunningNoticeSent():
            await conn.execute(
                """INSERT INTO dunning_notices (tenant, invoice_id, step, sent_on, days_late, unpaid_cents,
                       interest_cents, recovery_indemnity_cents, interest_periods)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb) ON CONFLICT DO NOTHING""",
                tenant,
                invoice_id,
                event.step,
                event.sent_on,
                event.days_late,
                event.unpaid_cents,
                event.interest_cents,
                event.recovery_indemnity_cents,
                json.dumps([p.model_dump(mode="json") for p in event.interest_periods]),
            )
        case GuaranteeFundCovered():
            await _fund_entry(
                conn,
                tenant,
                opened,
                "covered",
                "covered",
                event.covered_on,
                -event.unpaid_cents,
                -event.amount_excluding_vat_cents,
                event.recorded_at,
            )
        case WrittenOff():
            await _entry(
                conn,
                tenant,
                invoice_id,
                "written-off",
                "written_off",
                event.written_off_on,
                -event.unpaid_cents,
            )
        case _:
            pass  # a provision changes no amount owed: it is on the receivable's row


async def _fund_entry(
    conn: Conn,
    tenant: str,
    opened: ReceivableOpened,
    what: str,
    kind: str,
    on: object,
    cents: int,
    excluding_vat_cents: int,
    recorded_at: object,
) -> None:
    await conn.execute(
        """INSERT INTO guarantee_fund_entries (tenant, entry_id, invoice_id, activity_id, kind, entry_date,
               amount_cents, amount_excluding_vat_cents, recorded_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING""",
        tenant,
        _entry_id(opened.invoice_id, f"fund:{what}"),
        opened.invoice_id,
        opened.activity_id,
        kind,
        on,
        cents,
        excluding_vat_cents,
        recorded_at,
    )


async def record_client_credit(conn: Conn, tenant: str, buyer_siren: str, balance_cents: int) -> None:
    """The client's credit as its stream's last event left it: set, not added to, so that an event applied
    again (a replay onto the rows) changes nothing."""
    await conn.execute(
        """INSERT INTO client_credits AS c (tenant, buyer_siren, balance_cents) VALUES ($1, $2, $3)
           ON CONFLICT (tenant, buyer_siren) DO UPDATE SET balance_cents = excluded.balance_cents""",
        tenant,
        buyer_siren,
        balance_cents,
    )
