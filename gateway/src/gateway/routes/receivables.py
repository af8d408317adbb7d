"""/v1/invoices/{id}/payments, the receivable, collection runs, the ageing, the guarantee fund and clients'
credits: what clients owe on issued invoices and how it is collected (billing-svc, ADR 015).

A payment is allocated to the invoice; an overpayment's excess is kept as the client's credit (by SIREN),
which a later payment of `source: client_credit` applies to another invoice of the same buyer, or a refund
(`POST /v1/client_credit_refunds`) gives back. The daily
collection run (its date in the body) sends the dunning notice whose day has come (due + 7, + 30, + 60) and,
the day after the last, has the guarantee fund cover what is still unpaid; money received afterwards goes
back to the fund.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from gateway.auth.dependencies import require
from gateway.routes.dates import iso_date_only, iso_day
from gateway.routes.upstreams import ServiceUpstreams
from gateway.upstream import passed_through
from services.http import problem_responses
from services.internal_token import Caller

router = APIRouter(tags=["receivables"])
Day = Annotated[date, BeforeValidator(iso_day)]
Cents = Annotated[int, Field(gt=0, le=10_000_000_000)]
# No control characters (PostgreSQL text cannot hold a NUL): a 400 naming the field, not a 500.
BankReference = Annotated[str | None, Field(max_length=140, pattern=r"^[^\x00-\x1f]*$")]


class PaymentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"amount_cents": 60000, "received_on": "2026-12-10", "reference": "VIR 42"}]
        },
    )

    amount_cents: Cents = Field(description="The money received, VAT included, in cents.")
    received_on: Day = Field(description="The day it was received (YYYY-MM-DD), not before the issue date.")
    source: Literal["transfer", "client_credit"] = Field(
        default="transfer",
        description="`client_credit` applies the buyer's credit (an earlier overpayment) to this invoice.",
    )
    reference: BankReference = Field(default=None, description="The bank's reference.")


class Payment(BaseModel):
    id: UUID
    invoice_id: UUID
    source: str
    amount_cents: int
    allocated_cents: int = Field(description="The part that settles this invoice.")
    allocated_excluding_vat_cents: int
    excess_cents: int = Field(description="Kept as the client's credit.")
    to_guarantee_fund: bool = Field(description="Received after the guarantee fund covered the invoice.")
    received_on: date
    reference: str | None
    recorded_at: datetime


class InterestPeriod(BaseModel):
    first_day: date
    last_day: date
    unpaid_cents: int
    rate_percent: Decimal


class DunningNotice(BaseModel):
    step: int
    sent_on: date
    days_late: int
    unpaid_cents: int
    interest_cents: int = Field(description="ECB rate of each half-year + 10 points, per day late, / 365.")
    recovery_indemnity_cents: int = Field(description="40 EUR for a business buyer (a SIREN), else 0.")
    interest_periods: list[InterestPeriod]


class Receivable(BaseModel):
    invoice_id: UUID
    number: str
    activity_id: UUID | None
    buyer_siren: str | None
    issue_date: date
    due_date: date
    status: Literal["open", "paid", "covered", "written_off"]
    total_cents: int
    owed_cents: int = Field(description="The total less credit notes.")
    paid_cents: int
    unpaid_cents: int
    last_step: int
    covered_on: date | None
    provisioned_on: date | None
    written_off_on: date | None
    notices: list[DunningNotice]
    payments: list[Payment]


class ReasonIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "client in receivership", "on": "2027-03-01"}]},
    )

    reason: str = Field(min_length=1, max_length=500, pattern=r"^[^\x00-\x1f]*$")
    on: Day


class CollectionRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"run_on": "2027-01-02"}]})

    run_on: Day = Field(description="The day the run looks at (YYYY-MM-DD).")


class CollectionNotice(BaseModel):
    invoice_id: UUID
    step: int
    unpaid_cents: int
    interest_cents: int
    recovery_indemnity_cents: int


class CollectionCovered(BaseModel):
    invoice_id: UUID
    unpaid_cents: int
    amount_excluding_vat_cents: int


class CollectionRun(BaseModel):
    run_on: date
    notices: list[CollectionNotice]
    covered: list[CollectionCovered]


class AgeingBucket(BaseModel):
    bucket: Literal["not_due", "0-30", "31-60", "61-90", "over_90"] = Field(
        description="Days past the due date."
    )
    invoices: int
    unpaid_cents: int


class Ageing(BaseModel):
    as_of: date
    buckets: list[AgeingBucket]
    total_unpaid_cents: int


class FundEntry(BaseModel):
    invoice_id: UUID
    activity_id: UUID | None
    kind: Literal["covered", "recovered"]
    entry_date: date
    amount_cents: int
    amount_excluding_vat_cents: int


class GuaranteeFund(BaseModel):
    balance_excluding_vat_cents: int = Field(
        description="Recovered less covered: what the fund is out of pocket."
    )
    covered_excluding_vat_cents: int
    recovered_excluding_vat_cents: int
    entries: list[FundEntry] = Field(description="The latest entries first.")


class ClientCredit(BaseModel):
    buyer_siren: str
    balance_cents: int


class CreditMovement(BaseModel):
    kind: Literal["kept", "applied", "refunded"] = Field(
        description="`kept`: an overpayment's excess; `applied`: paid another invoice of the client; "
        "`refunded`: given back."
    )
    on: date
    amount_cents: int = Field(description="Signed: what it adds to the credit or takes away.")
    balance_after_cents: int
    invoice_id: UUID | None = Field(
        description="The invoice overpaid (kept) or paid with the credit (applied)."
    )
    payment_id: UUID | None = Field(
        description="The overpaying payment (kept) or the payment the credit made (applied)."
    )
    refund_id: UUID | None
    reference: str | None = Field(description="The bank reference of a refund.")


class ClientCreditStatement(BaseModel):
    buyer_siren: str
    balance_cents: int
    movements: list[CreditMovement]


class RefundIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "buyer_siren": "732829320",
                    "amount_cents": 5000,
                    "refunded_on": "2027-01-08",
                    "reference": "VIR REMB 42",
                }
            ]
        },
    )

    buyer_siren: str = Field(pattern=r"^[0-9]{9}$", description="The client whose credit is refunded.")
    amount_cents: Cents = Field(description="The money given back, in cents: at most the credit left.")
    refunded_on: Day = Field(description="The day it was given back (YYYY-MM-DD).")
    reference: BankReference = Field(default=None, description="The transfer's reference.")


class ClientCreditRefund(BaseModel):
    id: UUID
    buyer_siren: str
    amount_cents: int
    refunded_on: date
    reference: str | None
    balance_cents: int = Field(description="The client's credit left after the refund.")
    recorded_at: datetime


def _invoice_path(invoice_id: UUID, rest: str) -> str:
    return f"/internal/invoices/{invoice_id}/{rest}"


async def _post(
    invoice_id: UUID, rest: str, body: BaseModel, upstreams: ServiceUpstreams, caller: Caller
) -> Response:
    """A command on one invoice's receivable, passed to billing-svc as it is."""
    answer = await upstreams.billing.call(
        "POST", _invoice_path(invoice_id, rest), caller, json=body.model_dump(mode="json")
    )
    return passed_through(answer)


@router.post(
    "/v1/invoices/{invoice_id:uuid}/payments",
    status_code=201,
    response_model=Payment,
    summary="Record a payment received on an issued invoice",
    description="Partial or several payments; an excess is kept as the client's credit (a buyer with a "
    "SIREN; else 409). A draft, discarded or fully credited invoice takes no payment "
    "(409 `payment_refused`).",
    responses=problem_responses(400, 401, 403, 404, 409, 413),
)
async def record_payment(
    invoice_id: UUID,
    body: PaymentIn,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("invoices:write")],
) -> Response:
    return await _post(invoice_id, "payments", body, upstreams, caller)


@router.get(
    "/v1/invoices/{invoice_id:uuid}/payments",
    response_model=list[Payment],
    summary="The payments recorded on an invoice",
    responses=problem_responses(400, 401, 403, 404),
)
async def list_payments(
    invoice_id: UUID, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("invoices:read")]
) -> Response:
    return passed_through(await upstreams.billing.call("GET", _invoice_path(invoice_id, "payments"), caller))


@router.get(
    "/v1/invoices/{invoice_id:uuid}/receivable",
    response_model=Receivable,
    summary="What the client still owes on an invoice: payments, dunning notices, coverage, provision",
    responses=problem_responses(400, 401, 403, 404),
)
async def read_receivable(
    invoice_id: UUID, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("invoices:read")]
) -> Response:
    return passed_through(
        await upstreams.billing.call("GET", _invoice_path(invoice_id, "receivable"), caller)
    )


@router.post(
    "/v1/invoices/{invoice_id:uuid}/doubtful_provision",
    response_model=Receivable,
    summary="Provision an unpaid invoice as a doubtful receivable (with the reason)",
    responses=problem_responses(400, 401, 403, 404, 409, 413),
)
async def provision(
    invoice_id: UUID,
    body: ReasonIn,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("invoices:write")],
) -> Response:
    return await _post(invoice_id, "doubtful_provision", body, upstreams, caller)


@router.post(
    "/v1/invoices/{invoice_id:uuid}/write_off",
    response_model=Receivable,
    summary="Write an unpaid invoice off (with the reason): no more notices, out of the ageing",
    responses=problem_responses(400, 401, 403, 404, 409, 413),
)
async def write_off(
    invoice_id: UUID,
    body: ReasonIn,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("invoices:write")],
) -> Response:
    return await _post(invoice_id, "write_off", body, upstreams, caller)


@router.post(
    "/v1/collection_runs",
    status_code=201,
    response_model=CollectionRun,
    summary="Run the day's collection: dunning notices and the guarantee fund's coverage",
    description="For every unpaid invoice past its due date: the notice whose day has come (due + 7, + 30, "
    "+ 60; each step once, as `billing.DunningNoticeSent` and the `invoice.dunning_notice_sent` webhook), "
    "and "
    "the day after the last notice the guarantee fund's coverage. Running a day twice sends nothing more.",
    responses=problem_responses(400, 401, 403, 413),
)
async def run_collection(
    body: CollectionRunIn, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("invoices:write")]
) -> Response:
    answer = await upstreams.billing.call(
        "POST", "/internal/collection_runs", caller, json=body.model_dump(mode="json")
    )
    return passed_through(answer)


@router.get(
    "/v1/receivables/ageing",
    response_model=Ageing,
    summary="Receivables ageing: what was unpaid on a date, by days past due",
    responses=problem_responses(400, 401, 403),
)
async def ageing(
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("invoices:read")],
    as_of: Annotated[date, BeforeValidator(iso_date_only), Query(description="YYYY-MM-DD.")],
) -> Response:
    answer = await upstreams.billing.call(
        "GET", "/internal/receivables/ageing", caller, params={"as_of": as_of.isoformat()}
    )
    return passed_through(answer)


@router.get(
    "/v1/guarantee-fund",
    response_model=GuaranteeFund,
    summary="The guarantee fund: its balance and its latest entries (coverages and recoveries)",
    responses=problem_responses(400, 401, 403),
)
async def guarantee_fund(
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("invoices:read")],
    limit: Annotated[int, Query(ge=1, le=500, description="The latest entries, at most.")] = 100,
) -> Response:
    answer = await upstreams.billing.call("GET", "/internal/guarantee_fund", caller, params={"limit": limit})
    return passed_through(answer)


@router.get(
    "/v1/client_credits",
    response_model=list[ClientCredit],
    summary="The clients' credits (the excess of their payments), by SIREN",
    description="A credit is applied to another invoice of the same buyer by a payment of `source: "
    "client_credit`.",
    responses=problem_responses(400, 401, 403),
)
async def client_credits(
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("invoices:read")],
    buyer_siren: Annotated[str | None, Query(pattern=r"^[0-9]{9}$", description="One client's.")] = None,
) -> Response:
    params = {} if buyer_siren is None else {"buyer_siren": buyer_siren}
    return passed_through(
        await upstreams.billing.call("GET", "/internal/client_credits", caller, params=params)
    )


@router.get(
    "/v1/client_credits/{buyer_siren}/movements",
    response_model=ClientCreditStatement,
    summary="A client's credit, movement by movement",
    description="Each overpayment kept, each application to another invoice and each refund, in the order "
    "they were recorded, with the credit after each. A client with none has an empty statement at 0.",
    responses=problem_responses(400, 401, 403),
)
async def client_credit_statement(
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("invoices:read")],
    buyer_siren: Annotated[str, Path(pattern=r"^[0-9]{9}$", description="The client's SIREN.")],
) -> Response:
    answer = await upstreams.billing.call("GET", f"/internal/client_credits/{buyer_siren}/movements", caller)
    return passed_through(answer)


@router.post(
    "/v1/client_credit_refunds",
    status_code=201,
    response_model=ClientCreditRefund,
    summary="Refund part or all of a client's credit",
    description="Records the money given back to the client (`billing.ClientCreditRefunded`): its credit is "
    "lower by the amount. More than the credit left is refused (409 `not_enough_client_credit`, with "
    "`available_cents`), and nothing changes.",
    responses=problem_responses(400, 401, 403, 409, 413),
)
async def refund_client_credit(
    body: RefundIn, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("invoices:write")]
) -> Response:
    answer = await upstreams.billing.call(
        "POST", "/internal/client_credit_refunds", caller, json=body.model_dump(mode="json")
    )
    return passed_through(answer)
