"""Receivables (internal API): payments on an invoice, its receivable (notices, coverage, provision,
write-off), the daily collection run, the ageing, the guarantee fund, a client's credit and its refunds."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from billing_svc.domain.receivables.events import PaymentRecorded
from billing_svc.domain.receivables.rules import (
    InvalidReceivableField,
    NotEnoughClientCredit,
    PaymentRefused,
    ReceivableClosed,
    UnknownReceivable,
)
from billing_svc.receivables import Receivables
from services.caller import CurrentCaller, require_scope
from services.http import Problem, ProblemMapper, current_request_id
from services.internal_token import Caller
from services.log_reader import Conn
from services.request_keys import CurrentRequestKey, id_for
from services.tenancy import tenant_transaction

router = APIRouter(prefix="/internal")
READ, WRITE = "invoices:read", "invoices:write"
SIREN = r"^[0-9]{9}$"
Cents = Annotated[int, Field(gt=0, le=10_000_000_000)]
# No control characters (PostgreSQL text cannot hold a NUL): a 400 naming the field, not a 500.
BankReference = Annotated[str | None, Field(max_length=140, pattern=r"^[^\x00-\x1f]*$")]


async def _receivables(request: Request) -> Receivables:
    receivables: Receivables = request.app.state.service.receivables
    return receivables


ReceivablesDep = Annotated[Receivables, Depends(_receivables)]


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_cents: Cents
    received_on: date
    source: Literal["transfer", "client_credit"] = "transfer"
    reference: BankReference = None


class PaymentOut(BaseModel):
    id: UUID
    invoice_id: UUID
    source: str
    amount_cents: int
    allocated_cents: int
    allocated_excluding_vat_cents: int
    excess_cents: int
    to_guarantee_fund: bool
    received_on: date
    reference: str | None
    recorded_at: datetime


class InterestPeriodOut(BaseModel):
    first_day: date
    last_day: date
    unpaid_cents: int
    rate_percent: Decimal


class NoticeOut(BaseModel):
    step: int
    sent_on: date
    days_late: int
    unpaid_cents: int
    interest_cents: int
    recovery_indemnity_cents: int
    interest_periods: list[InterestPeriodOut]


class ReceivableOut(BaseModel):
    invoice_id: UUID
    number: str
    activity_id: UUID | None
    buyer_siren: str | None
    issue_date: date
    due_date: date
    status: Literal["open", "paid", "covered", "written_off"]
    total_cents: int
    owed_cents: int
    paid_cents: int
    unpaid_cents: int
    last_step: int
    covered_on: date | None
    provisioned_on: date | None
    written_off_on: date | None
    notices: list[NoticeOut]
    payments: list[PaymentOut]


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500, pattern=r"^[^\x00-\x1f]*$")
    on: date


class CollectionRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_on: date


class CollectionNoticeOut(BaseModel):
    invoice_id: UUID
    step: int
    unpaid_cents: int
    interest_cents: int
    recovery_indemnity_cents: int


class CollectionCoveredOut(BaseModel):
    invoice_id: UUID
    unpaid_cents: int
    amount_excluding_vat_cents: int


class CollectionRunOut(BaseModel):
    run_on: date
    notices: list[CollectionNoticeOut]
    covered: list[CollectionCoveredOut]


class AgeingBucket(BaseModel):
    bucket: Literal["not_due", "0-30", "31-60", "61-90", "over_90"]
    invoices: int
    unpaid_cents: int


class AgeingOut(BaseModel):
    as_of: date
    buckets: list[AgeingBucket]
    total_unpaid_cents: int


class FundEntryOut(BaseModel):
    invoice_id: UUID
    activity_id: UUID | None
    kind: Literal["covered", "recovered"]
    entry_date: date
    amount_cents: int
    amount_excluding_vat_cents: int


class GuaranteeFundOut(BaseModel):
    balance_excluding_vat_cents: int
    covered_excluding_vat_cents: int
    recovered_excluding_vat_cents: int
    entries: list[FundEntryOut]


class ClientCreditOut(BaseModel):
    buyer_siren: str
    balance_cents: int


class CreditMovementOut(BaseModel):
    kind: Literal["kept", "applied", "refunded"]
    on: date
    amount_cents: int
    balance_after_cents: int
    invoice_id: UUID | None
    payment_id: UUID | None
    refund_id: UUID | None
    reference: str | None


class ClientCreditStatementOut(BaseModel):
    buyer_siren: str
    balance_cents: int
    movements: list[CreditMovementOut]


class RefundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    buyer_siren: str = Field(pattern=SIREN)
    amount_cents: Cents
    refunded_on: date
    reference: BankReference = None


class RefundOut(BaseModel):
    id: UUID
    buyer_siren: str
    amount_cents: int
    refunded_on: date
    reference: str | None
    balance_cents: int
    recorded_at: datetime


def _payment_out(p: PaymentRecorded) -> PaymentOut:
    return PaymentOut(
        id=p.payment_id,
        invoice_id=p.invoice_id,
        source=p.source,
        amount_cents=p.amount_cents,
        allocated_cents=p.allocated_cents,
        allocated_excluding_vat_cents=p.allocated_excluding_vat_cents,
        excess_cents=p.excess_cents,
        to_guarantee_fund=p.to_fund,
        received_on=p.received_on,
        reference=p.reference,
        recorded_at=p.recorded_at,
    )


@router.post("/invoices/{invoice_id}/payments", status_code=201)
async def record_payment(
    invoice_id: UUID,
    body: PaymentIn,
    caller: CurrentCaller,
    receivables: ReceivablesDep,
    response: Response,
    request_key: CurrentRequestKey,
) -> PaymentOut:
    """A retried request names the same payment, which the receivable records once (ADR 023)."""
    require_scope(caller, WRITE)
    _, paid = await receivables.record_payment(
        invoice_id,
        id_for(request_key, "payment"),
        amount_cents=body.amount_cents,
        received_on=body.received_on,
        source=body.source,
        reference=body.reference,
        tenant=caller.tenant,
        correlation_id=current_request_id() or "",
    )
    response.headers["Location"] = f"/v1/invoices/{invoice_id}/payments"
    return _payment_out(paid)


async def _payments(conn: Conn, tenant: str, invoice_id: UUID) -> list[PaymentOut]:
    rows = await conn.fetch(
        """SELECT * FROM receivable_payments WHERE tenant = $1 AND invoice_id = $2
           ORDER BY recorded_at, payment_id""",
        tenant,
        invoice_id,
    )
    return [
        PaymentOut(
            id=r["payment_id"],
            invoice_id=r["invoice_id"],
            source=r["source"],
            amount_cents=r["amount_cents"],
            allocated_cents=r["allocated_cents"],
            allocated_excluding_vat_cents=r["allocated_excluding_vat_cents"],
            excess_cents=r["excess_cents"],
            to_guarantee_fund=r["to_fund"],
            received_on=r["received_on"],
            reference=r["reference"],
            recorded_at=r["recorded_at"],
        )
        for r in rows
    ]


@router.get("/invoices/{invoice_id}/payments")
async def list_payments(
    invoice_id: UUID, caller: CurrentCaller, receivables: ReceivablesDep
) -> list[PaymentOut]:
    require_scope(caller, READ)
    async with tenant_transaction(receivables.resources.pool, caller.tenant, snapshot=True) as conn:
        if not await conn.fetchval(
            "SELECT true FROM receivables WHERE tenant = $1 AND invoice_id = $2", caller.tenant, invoice_id
        ):
            raise UnknownReceivable(f"no receivable for invoice {invoice_id} (issued invoices only)")
        return await _payments(conn, caller.tenant, invoice_id)


@router.get("/invoices/{invoice_id}/receivable")
async def read_receivable(
    invoice_id: UUID, caller: CurrentCaller, receivables: ReceivablesDep
) -> ReceivableOut:
    require_scope(caller, READ)
    tenant = caller.tenant
    async with tenant_transaction(receivables.resources.pool, tenant, snapshot=True) as conn:
        row = await conn.fetchrow(
            "SELECT * FROM receivables WHERE tenant = $1 AND invoice_id = $2", tenant, invoice_id
        )
        if row is None:
            raise UnknownReceivable(f"no receivable for invoice {invoice_id} (issued invoices only)")
        notices = await conn.fetch(
            "SELECT * FROM dunning_notices WHERE tenant = $1 AND invoice_id = $2 ORDER BY step",
            tenant,
            invoice_id,
        )
        payments = await _payments(conn, tenant, invoice_id)
    return _receivable_out(row, notices, payments)


def _receivable_out(
    row: asyncpg.Record, notices: Sequence[asyncpg.Record], payments: list[PaymentOut]
) -> ReceivableOut:
    r = dict(row)
    status: Literal["open", "paid", "covered", "written_off"]
    if r["written_off_on"] is not None:
        status = "written_off"
    elif r["unpaid_cents"] == 0:
        status = "paid"
    elif r["covered_on"] is not None:
        status = "covered"
    else:
        status = "open"
    return ReceivableOut.model_validate(
        {
            **r,
            "status": status,
            "notices": [{**dict(n), "interest_periods": json.loads(n["interest_periods"])} for n in notices],
            "payments": payments,
        }
    )


async def _closing(
    command: Callable[..., Awaitable[object]],
    invoice_id: UUID,
    body: ReasonIn,
    caller: Caller,
    receivables: Receivables,
) -> ReceivableOut:
    """Provision or write-off: the command with its reason and date, then the receivable as it now stands."""
    require_scope(caller, WRITE)
    await command(
        invoice_id,
        reason=body.reason,
        on=body.on,
        tenant=caller.tenant,
        correlation_id=current_request_id() or "",
    )
    return await read_receivable(invoice_id, caller, receivables)


@router.post("/invoices/{invoice_id}/doubtful_provision")
async def provision(
    invoice_id: UUID, body: ReasonIn, caller: CurrentCaller, receivables: ReceivablesDep
) -> ReceivableOut:
    return await _closing(receivables.provision, invoice_id, body, caller, receivables)


@router.post("/invoices/{invoice_id}/write_off")
async def write_off(
    invoice_id: UUID, body: ReasonIn, caller: CurrentCaller, receivables: ReceivablesDep
) -> ReceivableOut:
    return await _closing(receivables.write_off, invoice_id, body, caller, receivables)


@router.post("/collection_runs", status_code=201)
async def run_collection(
    body: CollectionRunIn, caller: CurrentCaller, receivables: ReceivablesDep
) -> CollectionRunOut:
    require_scope(caller, WRITE)
    outcome = await receivables.collect(
        body.run_on, tenant=caller.tenant, correlation_id=current_request_id() or ""
    )
    return CollectionRunOut(
        run_on=outcome.run_on,
        notices=[
            CollectionNoticeOut(
                invoice_id=n.invoice_id,
                step=n.step,
                unpaid_cents=n.unpaid_cents,
                interest_cents=n.interest_cents,
                recovery_indemnity_cents=n.recovery_indemnity_cents,
            )
            for n in outcome.notices
        ],
        covered=[
            CollectionCoveredOut(
                invoice_id=c.invoice_id,
                unpaid_cents=c.unpaid_cents,
                amount_excluding_vat_cents=c.amount_excluding_vat_cents,
            )
            for c in outcome.covered
        ],
    )


BUCKETS: tuple[Literal["not_due", "0-30", "31-60", "61-90", "over_90"], ...] = (
    "not_due",
    "0-30",
    "31-60",
    "61-90",
    "over_90",
)


@router.get("/receivables/ageing")
async def ageing(as_of: date, caller: CurrentCaller, receivables: ReceivablesDep) -> AgeingOut:
    """What was unpaid at the end of `as_of`, by days past the due date; written-off receivables left out."""
    require_scope(caller, READ)
    async with tenant_transaction(receivables.resources.pool, caller.tenant) as conn:
        rows = await conn.fetch(
            """WITH unpaid AS (
                   SELECT r.invoice_id, $2::date - r.due_date AS days, sum(e.amount_cents) AS cents
                   FROM receivables r
                   JOIN receivable_entries e ON e.tenant = r.tenant AND e.invoice_id = r.invoice_id
                   WHERE r.tenant = $1 AND r.issue_date <= $2 AND e.entry_date <= $2
                   GROUP BY r.invoice_id, r.due_date
                   HAVING sum(e.amount_cents) > 0)
               SELECT CASE WHEN days <= 0 THEN 'not_due' WHEN days <= 30 THEN '0-30'
                           WHEN days <= 60 THEN '31-60' WHEN days <= 90 THEN '61-90' ELSE 'over_90'
                      END AS bucket,
                      count(*) AS invoices, sum(cents) AS cents
               FROM unpaid GROUP BY 1""",
            caller.tenant,
            as_of,
        )
    found = {r["bucket"]: (int(r["invoices"]), int(r["cents"])) for r in rows}
    buckets = [
        AgeingBucket(bucket=b, invoices=found.get(b, (0, 0))[0], unpaid_cents=found.get(b, (0, 0))[1])
        for b in BUCKETS
    ]
    return AgeingOut(as_of=as_of, buckets=buckets, total_unpaid_cents=sum(b.unpaid_cents for b in buckets))


@router.get("/guarantee_fund")
async def guarantee_fund(
    caller: CurrentCaller,
    receivables: ReceivablesDep,
    limit: Annotated[int, Query(ge=1, le=500, description="The latest entries, at most.")] = 100,
) -> GuaranteeFundOut:
    require_scope(caller, READ)
    async with tenant_transaction(receivables.resources.pool, caller.tenant, snapshot=True) as conn:
        totals = await conn.fetchrow(
            """SELECT
                 coalesce(sum(-amount_excluding_vat_cents) FILTER (WHERE kind = 'covered'), 0) AS covered,
                 coalesce(sum(amount_excluding_vat_cents) FILTER (WHERE kind = 'recovered'), 0) AS recovered
               FROM guarantee_fund_entries WHERE tenant = $1""",
            caller.tenant,
        )
        rows = await conn.fetch(
            """SELECT * FROM guarantee_fund_entries WHERE tenant = $1
               ORDER BY entry_date DESC, recorded_at DESC, entry_id LIMIT $2""",
            caller.tenant,
            limit,
        )
    assert totals is not None
    return GuaranteeFundOut(
        balance_excluding_vat_cents=int(totals["recovered"]) - int(totals["covered"]),
        covered_excluding_vat_cents=int(totals["covered"]),
        recovered_excluding_vat_cents=int(totals["recovered"]),
        entries=[FundEntryOut.model_validate(dict(r)) for r in rows],
    )


@router.get("/client_credits")
async def client_credits(
    caller: CurrentCaller,
    receivables: ReceivablesDep,
    buyer_siren: Annotated[str | None, Query(pattern=SIREN)] = None,
) -> list[ClientCreditOut]:
    """The clients' credits (by SIREN) kept from their overpayments, all or one client's."""
    require_scope(caller, READ)
    async with tenant_transaction(receivables.resources.pool, caller.tenant) as conn:
        rows = await conn.fetch(
            """SELECT buyer_siren, balance_cents FROM client_credits
               WHERE tenant = $1 AND ($2::text IS NULL OR buyer_siren = $2)
               ORDER BY buyer_siren LIMIT 500""",
            caller.tenant,
            buyer_siren,
        )
    return [ClientCreditOut(buyer_siren=r["buyer_siren"], balance_cents=r["balance_cents"]) for r in rows]


@router.get("/client_credits/{buyer_siren}/movements")
async def client_credit_statement(
    buyer_siren: Annotated[str, Path(pattern=SIREN)], caller: CurrentCaller, receivables: ReceivablesDep
) -> ClientCreditStatementOut:
    """One client's credit movement by movement (none yet: an empty statement at 0)."""
    require_scope(caller, READ)
    movements = await receivables.credit_statement(buyer_siren, tenant=caller.tenant)
    return ClientCreditStatementOut(
        buyer_siren=buyer_siren,
        balance_cents=movements[-1].balance_after_cents if movements else 0,
        movements=[CreditMovementOut.model_validate(m, from_attributes=True) for m in movements],
    )


@router.post("/client_credit_refunds", status_code=201)
async def refund_client_credit(
    body: RefundIn,
    caller: CurrentCaller,
    receivables: ReceivablesDep,
    response: Response,
    request_key: CurrentRequestKey,
) -> RefundOut:
    """A retried request names the same refund, which the client's credit gives once (ADR 023)."""
    require_scope(caller, WRITE)
    refunded, balance = await receivables.refund_credit(
        body.buyer_siren,
        id_for(request_key, "client-credit-refund"),
        amount_cents=body.amount_cents,
        refunded_on=body.refunded_on,
        reference=body.reference,
        tenant=caller.tenant,
        correlation_id=current_request_id() or "",
    )
    response.headers["Location"] = f"/v1/client_credits?buyer_siren={body.buyer_siren}"
    return RefundOut.model_validate(
        {**refunded.model_dump(), "id": refunded.refund_id, "balance_cents": balance}
    )


def _not_enough_credit(error: Exception) -> Problem:
    assert isinstance(error, NotEnoughClientCredit)
    return Problem(
        409,
        "not_enough_client_credit",
        detail=str(error),
        param="body.amount_cents",
        extensions={"available_cents": error.available_cents},
    )


def _invalid_field(error: Exception) -> Problem:
    assert isinstance(error, InvalidReceivableField)
    return Problem(400, "invalid_receivable", detail=str(error), param=f"body.{error.field}")


PROBLEM_MAPPERS: dict[type[Exception], ProblemMapper] = {
    InvalidReceivableField: _invalid_field,
    UnknownReceivable: lambda error: Problem(404, "receivable_not_found", detail=str(error)),
    PaymentRefused: lambda error: Problem(409, "payment_refused", detail=str(error)),
    ReceivableClosed: lambda error: Problem(409, "receivable_closed", detail=str(error)),
    NotEnoughClientCredit: _not_enough_credit,
}
