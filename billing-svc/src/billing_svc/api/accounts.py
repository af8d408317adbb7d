"""Activity accounts (internal API): the account (balance, available budget), its ledger entries, the monthly
statement, and expense claims."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from billing_svc.accounts import Accounts
from billing_svc.domain.accounts.events import Receipt
from billing_svc.domain.accounts.rules import BudgetExceeded, InvalidAccountField, UnknownActivityAccount
from billing_svc.read_models import accounts as views
from services.caller import CurrentCaller, require_scope
from services.http import Problem, ProblemMapper, current_request_id
from services.http.preconditions import etag
from services.pagination import Cursor, Limit, Page, decode_cursor, page_of
from services.request_keys import CurrentRequestKey, id_for
from services.tenancy import tenant_transaction

router = APIRouter(prefix="/internal/activities")
MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
READ, WRITE = "activities:read", "activities:write"


async def _accounts(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.service.accounts
    return accounts


AccountsDep = Annotated[Accounts, Depends(_accounts)]


class ReservationOut(BaseModel):
    reservation_id: UUID
    amount_cents: int


class AccountOut(BaseModel):
    activity_id: UUID
    object: Literal["activity_account"] = "activity_account"
    balance_cents: int
    reserved_cents: int
    available_cents: int
    reservations: list[ReservationOut]


@router.get("/{activity_id}/account")
async def read_account(
    activity_id: UUID, caller: CurrentCaller, accounts: AccountsDep, response: Response
) -> AccountOut:
    require_scope(caller, READ)
    version, account = await accounts.account(activity_id, tenant=caller.tenant)
    response.headers["ETag"] = etag(version)
    return AccountOut(
        activity_id=activity_id,
        balance_cents=account.balance_cents,
        reserved_cents=account.reserved_cents,
        available_cents=account.available_cents,
        reservations=[
            ReservationOut(reservation_id=k, amount_cents=v) for k, v in account.reservations.items()
        ],
    )


class EntryOut(BaseModel):
    object: Literal["ledger_entry"] = "ledger_entry"
    position: int  # the movement's rank on the account
    line: int
    label: str
    debit_account: str
    credit_account: str
    amount_cents: int
    on: date
    activity_cents: int  # what the entry does to the activity account's balance


@router.get("/{activity_id}/entries")
async def list_entries(
    activity_id: UUID, caller: CurrentCaller, accounts: AccountsDep, limit: Limit = 20, cursor: Cursor = None
) -> Page[EntryOut]:
    require_scope(caller, READ)
    await accounts.account(activity_id, tenant=caller.tenant)  # 404 for an unknown (or another's) account
    after = _entry_after(cursor)
    async with tenant_transaction(accounts.resources.pool, caller.tenant) as conn:
        rows = await views.entries_after(conn, caller.tenant, activity_id, after, limit + 1)
    page, has_more, next_cursor = page_of(rows, limit, lambda r: {"v": r.stream_version, "l": r.line})
    return Page[EntryOut](
        data=[
            EntryOut(
                position=r.stream_version,
                line=r.line,
                label=r.label,
                debit_account=r.debit_account,
                credit_account=r.credit_account,
                amount_cents=r.amount_cents,
                on=r.on_day,
                activity_cents=(r.amount_cents if r.credit_account == "activity" else 0)
                - (r.amount_cents if r.debit_account == "activity" else 0),
            )
            for r in page
        ],
        has_more=has_more,
        next_cursor=next_cursor,
    )


def _entry_after(cursor: str | None) -> tuple[int, int] | None:
    if cursor is None:
        return None
    key = decode_cursor(cursor)
    version, line = key.get("v"), key.get("l")
    if not isinstance(version, int) or not isinstance(line, int):
        raise Problem(400, "invalid_cursor", detail="the cursor is not one this API gave", param="cursor")
    return version, line


class StatementLine(BaseModel):
    on: date
    kind: Literal["payment", "guarantee_fund", "fund_recovery", "payslip", "expense_claim"]
    description: str
    reference_id: UUID = Field(
        description="The payment, the invoice covered or recovered, the payslip, the claim."
    )
    invoice_id: UUID | None
    contract_id: UUID | None
    amount_excluding_vat_cents: int = Field(
        description="Received (payments) or spent (debits), excluding VAT."
    )
    contribution_rate: Decimal | None
    contribution_cents: int
    amount_cents: int = Field(description="What the line does to the balance: + credit, - debit.")
    balance_cents: int = Field(description="The balance after the line.")


class StatementOut(BaseModel):
    object: Literal["activity_statement"] = "activity_statement"
    activity_id: UUID
    month: str
    opening_balance_cents: int
    credited_cents: int
    debited_cents: int
    contribution_cents: int
    closing_balance_cents: int
    lines: list[StatementLine]


@router.get("/{activity_id}/statement")
async def statement(
    activity_id: UUID,
    caller: CurrentCaller,
    accounts: AccountsDep,
    month: Annotated[str, Query(pattern=MONTH, description="YYYY-MM")],
) -> StatementOut:
    require_scope(caller, READ)
    await accounts.account(activity_id, tenant=caller.tenant)
    year, number = int(month[:4]), int(month[5:])
    first, last = date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])
    async with tenant_transaction(accounts.resources.pool, caller.tenant, snapshot=True) as conn:
        opening, rows = await views.statement_rows(conn, caller.tenant, activity_id, first, last)
    lines, balance = [], opening
    for r in rows:
        balance += r.activity_cents
        lines.append(
            StatementLine(
                on=r.on_day,
                kind=r.kind,
                description=r.description,
                reference_id=r.reference_id,
                invoice_id=r.invoice_id,
                contract_id=r.contract_id,
                amount_excluding_vat_cents=r.gross_cents,
                contribution_rate=r.contribution_rate,
                contribution_cents=r.contribution_cents,
                amount_cents=r.activity_cents,
                balance_cents=balance,
            )
        )
    return StatementOut(
        activity_id=activity_id,
        month=month,
        opening_balance_cents=opening,
        credited_cents=sum(r.activity_cents for r in rows if r.activity_cents > 0),
        debited_cents=-sum(r.activity_cents for r in rows if r.activity_cents < 0),
        contribution_cents=sum(r.contribution_cents for r in rows),
        closing_balance_cents=balance,
        lines=lines,
    )


class ReceiptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1, max_length=200)
    dated: date
    amount_cents: int = Field(gt=0, le=100_000_000, description="VAT included, as on the receipt.")
    vat_cents: int = Field(ge=0, le=100_000_000)


class ExpenseClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1, max_length=200)
    receipts: list[ReceiptIn] = Field(min_length=1, max_length=50)


class ExpenseClaimOut(BaseModel):
    id: UUID
    object: Literal["expense_claim"] = "expense_claim"
    activity_id: UUID
    description: str
    receipts: list[ReceiptIn]
    amount_cents: int
    vat_cents: int
    debited_cents: int
    balance_cents: int
    claimed_on: date


@router.post("/{activity_id}/expense-claims", status_code=201)
async def claim_expenses(
    activity_id: UUID,
    body: ExpenseClaimIn,
    caller: CurrentCaller,
    accounts: AccountsDep,
    response: Response,
    request_key: CurrentRequestKey,
) -> ExpenseClaimOut:
    """A retried request names the same claim: the account is debited once (ADR 023)."""
    require_scope(caller, WRITE)
    await accounts.account(activity_id, tenant=caller.tenant)
    claimed = await accounts.claim_expenses(
        activity_id,
        id_for(request_key, "expense-claim"),
        body.description,
        tuple(Receipt(**r.model_dump()) for r in body.receipts),
        tenant=caller.tenant,
        correlation_id=current_request_id() or "",
    )
    response.headers["Location"] = f"/v1/activities/{activity_id}/expense-claims/{claimed.claim_id}"
    return ExpenseClaimOut(
        id=claimed.claim_id,
        activity_id=activity_id,
        description=claimed.description,
        receipts=[ReceiptIn(**r.model_dump()) for r in claimed.receipts],
        amount_cents=claimed.amount_cents,
        vat_cents=claimed.vat_cents,
        debited_cents=claimed.amount_cents - claimed.vat_cents,
        balance_cents=claimed.balance_after_cents,
        claimed_on=claimed.on,
    )


def _invalid(error: Exception) -> Problem:
    assert isinstance(error, InvalidAccountField)
    return Problem(400, "invalid_expense_claim", detail=str(error), param=f"body.{error.field}")


def _exceeded(error: Exception) -> Problem:
    assert isinstance(error, BudgetExceeded)
    return Problem(
        422,
        "activity_budget_exceeded",
        detail=str(error),
        extensions={"amount_cents": error.amount_cents, "available_cents": error.available_cents},
    )


PROBLEM_MAPPERS: dict[type[Exception], ProblemMapper] = {
    InvalidAccountField: _invalid,
    BudgetExceeded: _exceeded,
    UnknownActivityAccount: lambda error: Problem(404, "activity_account_not_found", detail=str(error)),
}
