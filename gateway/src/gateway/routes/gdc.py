"""/v1/gdc: the GDC monthly invoice run (ops), SEPA direct debit mandates of the associations (signed,
revoked), and the pain.008.001.08 collection file of each GDC invoice collected under a mandate (ADR 017).

The run of the 1st invoices the previous month: for each association (employer structure whose payroll the
back-office runs), one invoice with its payslips' gross salaries, employer contributions and the GDC fee.
Running it again, or two at once, answers the same invoices: a month is invoiced once.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth.dependencies import require
from gateway.routes.invoices import InvoiceAddress
from gateway.routes.upstreams import ServiceUpstreams, Upstreams
from gateway.upstream import passed_through
from services.http import problem_responses
from services.internal_token import Caller

router = APIRouter(tags=["gdc"])


class MonthlyRun(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"run_on": "2026-12-01"}]})

    run_on: date = Field(description="The 1st of a month (Europe/Paris); the previous month is invoiced.")


class GdcInvoice(BaseModel):
    employer_id: UUID
    invoice_id: UUID = Field(description="Read it at /v1/invoices/{invoice_id} (.xml, .pdf).")
    number: str
    total_cents: int
    direct_debit_id: UUID | None = Field(
        description="The collection file, when the association has a mandate."
    )
    sequence_type: Literal["FRST", "RCUR"] | None = Field(
        description="FRST for a mandate's first collection."
    )


class HeldMonth(BaseModel):
    employer_id: UUID
    reason: str = Field(description="Why no invoice was issued (corrections leaving a negative month).")


class MonthlyRunResult(BaseModel):
    month: str = Field(description="The month invoiced, YYYY-MM.")
    invoices: list[GdcInvoice]
    held: list[HeldMonth]


class Debtor(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=70, description="The account holder, as on the mandate.")
    address: InvoiceAddress
    iban: str = Field(min_length=15, max_length=42, description="Checked (key, length, SEPA zone).")
    bic: str | None = Field(default=None, min_length=8, max_length=11)


class SepaMandateIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "reference": "GDC-ATELIERS-0001",
                    "signed_on": "2026-11-02",
                    "debtor": {
                        "name": "Les Ateliers du Spectacle",
                        "address": {"street": "12 rue des Arts", "postal_code": "69001", "city": "Lyon"},
                        "iban": "FR76 3000 4000 0000 0234 5678 983",
                    },
                }
            ]
        },
    )

    reference: str = Field(
        min_length=1,
        max_length=35,
        description="The unique mandate reference (UMR): letters, digits, spaces and / - ? : ( ) . , ' +; "
        "used once per tenant.",
    )
    signed_on: date = Field(description="The day the association signed (not in the future).")
    debtor: Debtor


class SepaMandate(BaseModel):
    id: UUID
    employer_id: UUID
    reference: str
    signed_on: date
    debtor_name: str
    iban_last4: str
    scheme: Literal["CORE"]
    revoked_on: date | None = Field(
        default=None,
        description="Once revoked: nothing more is collected under it (invoices paid by transfer).",
    )


class SepaMandateRevocation(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"revoked_on": "2026-11-20"}]})

    revoked_on: date = Field(
        description="The day the association withdrew its consent (not in the future, not before signing)."
    )


async def _post_to_billing(upstreams: Upstreams, caller: Caller, path: str, body: BaseModel) -> Response:
    return passed_through(
        await upstreams.billing.call("POST", path, caller, json=body.model_dump(mode="json"))
    )


@router.post(
    "/v1/gdc/monthly-invoices",
    response_model=MonthlyRunResult,
    summary="Run the GDC month: one invoice per association for the previous month (ops)",
    responses=problem_responses(400, 401, 403, 409, 422),
)
async def run_month(
    body: MonthlyRun, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("invoices:write")]
) -> Response:
    return await _post_to_billing(upstreams, caller, "/internal/gdc/monthly-invoices", body)


@router.post(
    "/v1/employers/{employer_structure_id:uuid}/sepa-mandates",
    status_code=201,
    response_model=SepaMandate,
    summary="Record an association's SEPA Core direct debit mandate (the id of /v1/employer_structures)",
    responses=problem_responses(400, 401, 403, 404, 409),
)
async def sign_mandate(
    employer_structure_id: UUID,
    body: SepaMandateIn,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("invoices:write")],
) -> Response:
    return await _post_to_billing(
        upstreams, caller, f"/internal/employers/{employer_structure_id}/sepa-mandates", body
    )


@router.post(
    "/v1/employers/{employer_structure_id:uuid}/sepa-mandates/{mandate_id:uuid}/revocation",
    response_model=SepaMandate,
    summary="Revoke an association's SEPA mandate: its next GDC invoices are paid by transfer",
    description="A collection prepared under it and due on or before `revoked_on` stands; one due later is "
    "withdrawn with the revocation (its file answers 410 `direct_debit_withdrawn`, "
    "`billing.DirectDebitWithdrawn` is published; its invoice stays unpaid, to be paid by transfer). "
    "A second revocation is a 409 `mandate_already_revoked`; a mandate that is not this association's, "
    "a 404 `mandate_not_found`.",
    responses=problem_responses(400, 401, 403, 404, 409),
)
async def revoke_mandate(
    employer_structure_id: UUID,
    mandate_id: UUID,
    body: SepaMandateRevocation,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("invoices:write")],
) -> Response:
    return await _post_to_billing(
        upstreams,
        caller,
        f"/internal/employers/{employer_structure_id}/sepa-mandates/{mandate_id}/revocation",
        body,
    )


@router.get(
    "/v1/gdc/direct-debits/{direct_debit_id:uuid}.xml",
    response_class=Response,
    summary="The pain.008.001.08 collection file of a GDC invoice (XSD-checked)",
    description="Submit it to the bank before its collection date. A collection withdrawn because its "
    "mandate was revoked before that date answers 410 `direct_debit_withdrawn` (the problem's `detail` names "
    "the mandate and the day it was revoked): do not submit it, the invoice is to be paid by transfer.",
    responses={200: {"content": {"application/xml": {}}}, **problem_responses(400, 401, 403, 404, 410)},
)
async def direct_debit_xml(
    direct_debit_id: UUID, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("invoices:read")]
) -> Response:
    return passed_through(
        await upstreams.billing.call("GET", f"/internal/gdc/direct-debits/{direct_debit_id}.xml", caller)
    )
