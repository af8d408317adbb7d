"""/v1/activities/{id}: a member's activity account (balance, available budget, ledger entries), its monthly
statement, and expense claims.

billing-svc keeps the account (ADR 016): credited with each paid invoice excluding VAT less the cooperative
contribution, debited with the employer cost of each payslip of the activity's contracts and with expense
claims; the available budget is the balance less the reservations of contracts not paid yet.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth.dependencies import require
from gateway.auth.scopes import SCOPES
from gateway.routes.upstreams import ServiceUpstreams
from gateway.upstream import passed_through, query
from services.http import problem_responses
from services.internal_token import Caller
from services.pagination import Cursor, Limit, Page

router = APIRouter(prefix="/v1/activities", tags=["activity accounts"])
READ, WRITE = "activities:read", "activities:write"
SCOPES.setdefault(READ, "Read activity accounts (balance, available budget, entries) and their statements.")
SCOPES.setdefault(WRITE, "Claim expenses on an activity account.")
MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
ETAG = {"ETag": {"description": "The account's version.", "schema": {"type": "string"}}}


class Reservation(BaseModel):
    reservation_id: UUID = Field(description="The contract's id.")
    amount_cents: int


class ActivityAccount(BaseModel):
    activity_id: UUID
    object: Literal["activity_account"] = "activity_account"
    balance_cents: int = Field(description="The sum of the account's entries (may be negative).")
    reserved_cents: int = Field(description="Held back for contracts not paid yet.")
    available_cents: int = Field(description="The balance less the reservations: what may become salary.")
    reservations: list[Reservation]


class LedgerEntry(BaseModel):
    object: Literal["ledger_entry"] = "ledger_entry"
    position: int = Field(description="The movement's rank on the account.")
    line: int
    label: str
    debit_account: str = Field(description="activity, bank, contribution_income, salaries_payable, ...")
    credit_account: str
    amount_cents: int = Field(description="Both legs' amount: every entry balances.")
    on: date = Field(description="The business day (Europe/Paris).")
    activity_cents: int = Field(description="What the entry does to the activity account: + credit, - debit.")


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
    contribution_rate: Decimal | None = Field(description="The cooperative contribution's rate on a payment.")
    contribution_cents: int
    amount_cents: int = Field(description="What the line does to the balance: + credit, - debit.")
    balance_cents: int = Field(description="The balance after the line.")


class Statement(BaseModel):
    object: Literal["activity_statement"] = "activity_statement"
    activity_id: UUID
    month: str
    opening_balance_cents: int
    credited_cents: int
    debited_cents: int
    contribution_cents: int = Field(description="The cooperative contribution charged in the month.")
    closing_balance_cents: int
    lines: list[StatementLine]


class Receipt(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1, max_length=200)
    dated: date = Field(description="The receipt's date (not after the claim).")
    amount_cents: int = Field(gt=0, le=100_000_000, description="VAT included, as on the receipt.")
    vat_cents: int = Field(ge=0, le=100_000_000, description="The VAT on the receipt (less than the amount).")


class ExpenseClaimRequest(BaseModel):
    """Expenses a member advanced for the activity, with their receipts. The account is debited with the
    receipts excluding their VAT (deductible by the cooperative); refused beyond the available budget."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "description": "Tournée de novembre",
                    "receipts": [
                        {
                            "description": "Train Paris-Lyon",
                            "dated": "2026-11-20",
                            "amount_cents": 12000,
                            "vat_cents": 1091,
                        }
                    ],
                }
            ]
        },
    )

    description: str = Field(min_length=1, max_length=200)
    receipts: list[Receipt] = Field(min_length=1, max_length=50)


class ExpenseClaim(BaseModel):
    id: UUID
    object: Literal["expense_claim"] = "expense_claim"
    activity_id: UUID
    description: str
    receipts: list[Receipt]
    amount_cents: int
    vat_cents: int
    debited_cents: int
    balance_cents: int
    claimed_on: date


def _path(activity_id: UUID, rest: str) -> str:
    return f"/internal/activities/{activity_id}/{rest}"


@router.get(
    "/{activity_id}/account",
    response_model=ActivityAccount,
    summary="Read an activity account: balance, reservations, available budget",
    responses={200: {"headers": ETAG}, **problem_responses(400, 401, 403, 404)},
)
async def read_account(
    activity_id: UUID, upstreams: ServiceUpstreams, caller: Annotated[Caller, require(READ)]
) -> Response:
    return passed_through(await upstreams.billing.call("GET", _path(activity_id, "account"), caller))


@router.get(
    "/{activity_id}/account/entries",
    response_model=Page[LedgerEntry],
    summary="List an activity account's ledger entries, oldest first",
    responses=problem_responses(400, 401, 403, 404),
)
async def list_entries(
    activity_id: UUID,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require(READ)],
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Response:
    params = query(limit=limit, cursor=cursor)
    return passed_through(
        await upstreams.billing.call("GET", _path(activity_id, "entries"), caller, params=params)
    )


@router.get(
    "/{activity_id}/statement",
    response_model=Statement,
    summary="An activity's monthly statement, with the contribution on each payment",
    responses=problem_responses(400, 401, 403, 404),
)
async def read_statement(
    activity_id: UUID,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require(READ)],
    month: Annotated[str, Query(pattern=MONTH, description="The month, YYYY-MM (business days, Paris).")],
) -> Response:
    return passed_through(
        await upstreams.billing.call("GET", _path(activity_id, "statement"), caller, params={"month": month})
    )


@router.post(
    "/{activity_id}/expense-claims",
    status_code=201,
    response_model=ExpenseClaim,
    summary="Claim expenses on an activity account",
    description="A receipt whose VAT is not less than its amount is a 400 naming it; a claim beyond the "
    "available budget is a 422 `activity_budget_exceeded`; nothing is recorded then.",
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)
async def claim_expenses(
    activity_id: UUID,
    body: ExpenseClaimRequest,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require(WRITE)],
) -> Response:
    answer = await upstreams.billing.call(
        "POST", _path(activity_id, "expense-claims"), caller, json=body.model_dump(mode="json")
    )
    return passed_through(answer)
