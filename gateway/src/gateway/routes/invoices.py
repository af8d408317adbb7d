"""/v1/invoices and /v1/credit_notes: client invoices on behalf of a member's activity, numbered when issued.

Paths use the `uuid` convertor so `PUT /v1/invoices/{id}.pdf` finds no route but the GET (405), not an id.

A draft changes freely (PUT, with If-Match); finalising gives it the next number of its series (continuous per
tenant and series), its issue and due dates, totals and legal mentions, and its Factur-X (EN 16931 CII) XML,
checked against the XSD and the EN 16931 and French CTC schematrons: a failed check is a 422 naming the rules.
An issued invoice never changes: a credit note (type 381, its own number) corrects it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from gateway.auth.dependencies import require
from gateway.routes.upstreams import ServiceUpstreams
from gateway.upstream import passed_through, query
from services.http import problem_responses
from services.internal_token import Caller
from services.pagination import Cursor, Limit, Page

router = APIRouter(tags=["invoices"])
ETAG = {"ETag": {"description": "The invoice's version, for If-Match.", "schema": {"type": "string"}}}
SERIES = r"^[A-Za-z0-9+\-_/]{1,20}$"
SELLER_EXAMPLE: dict[str, JsonValue] = {
    "name": "SmartFr SCIC",
    "siren": "443061841",
    "vat_number": "FR64443061841",
    "address": {"street": "5 rue de la Coopération", "postal_code": "75011", "city": "Paris"},
    "electronic_address": "443061841",
}
BUYER_EXAMPLE: dict[str, JsonValue] = {
    "name": "Les Ateliers du Spectacle",
    "siren": "732829320",
    "vat_number": "FR44732829320",
    "address": {"street": "12 rue des Arts", "postal_code": "69001", "city": "Lyon"},
    "electronic_address": "732829320",
    "kind": "business",
}
LINES_EXAMPLE: list[JsonValue] = [
    {"description": "Scénographie", "quantity": "2", "unit_price_cents": 45000, "vat_percent": "20"},
    {"description": "Catalogues", "quantity": "3.5", "unit_price_cents": 1999, "vat_percent": "5.5"},
]


class InvoiceAddress(BaseModel):
    model_config = ConfigDict(extra="forbid")

    street: str = Field(min_length=1, max_length=200)
    postal_code: str = Field(min_length=1, max_length=16)
    city: str = Field(min_length=1, max_length=100)
    country: str = Field(default="FR", min_length=2, max_length=2, description="ISO 3166-1 alpha-2.")


class InvoiceParty(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    siren: str | None = Field(
        default=None,
        max_length=16,
        description="SIREN (9 digits, key checked); required for the seller, and "
        "for a French business buyer at finalisation (French CTC rule BR-FR-11).",
    )
    vat_number: str | None = Field(default=None, max_length=32, description="EU VAT number, key checked.")
    address: InvoiceAddress
    electronic_address: str | None = Field(
        default=None, max_length=100, description="E-invoicing address (BT-34 / BT-49, scheme 0225)."
    )
    kind: Literal["business", "consumer"] = Field(
        default="business", description="A consumer owes no 40 € recovery indemnity."
    )
    electronic_address_scheme: str = Field(
        default="0225",
        pattern=r"^[0-9]{4}$",
        description="ISO 6523 ICD of the e-invoicing address: 0225 (French directory), 0208 (Belgium), ...",
    )


class InvoiceLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1, max_length=500)
    quantity: Decimal = Field(gt=0, le=1_000_000, description="At most 4 decimals.")
    unit_price_cents: int = Field(ge=0, le=10_000_000_000, description="Unit price excluding VAT, in cents.")
    vat_percent: Decimal | None = Field(
        default=None,
        ge=0,
        le=100,
        description="20, 10, 5.5 or 2.1; none when the invoice has a VAT exemption.",
    )


class PaymentTerms(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(default=30, ge=0, le=366, description="At most 60, or 45 with end_of_month (L441-10).")
    end_of_month: bool = False


class DraftContent(BaseModel):
    """What a draft says; a PUT replaces it as a whole while the invoice is a draft."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"buyer": BUYER_EXAMPLE, "lines": LINES_EXAMPLE, "payment_terms": {"days": 30}}]
        },
    )

    buyer: InvoiceParty
    lines: list[InvoiceLine] = Field(min_length=1, max_length=500)
    payment_terms: PaymentTerms = PaymentTerms()
    vat_exemption: str | None = Field(
        default=None, max_length=40, description="franchise (art. 293 B CGI), training, intra_eu_services."
    )
    note: str | None = Field(default=None, max_length=1000)


class InvoiceDraft(DraftContent):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "series": "F2026",
                    "activity_id": "0197a3c2-5b1e-7c3d-9a4f-2e6b8d1c0f57",
                    "seller": SELLER_EXAMPLE,
                    "buyer": BUYER_EXAMPLE,
                    "lines": LINES_EXAMPLE,
                    "payment_terms": {"days": 30},
                    "finalise": True,
                }
            ]
        },
    )

    series: str = Field(default="F", pattern=SERIES, description="The numbering series.")
    activity_id: UUID = Field(description="The member's activity on whose behalf the invoice is issued.")
    seller: InvoiceParty
    finalise: bool = Field(
        default=False, description="Finalise at once; a refused finalisation (422) keeps the draft."
    )


class CreditNoteDraft(InvoiceDraft):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "series": "AV2026",
                    "activity_id": "0197a3c2-5b1e-7c3d-9a4f-2e6b8d1c0f57",
                    "corrects": "0197a3d0-1c2b-7a4e-9f10-3b5c7d9e1a20",
                    "seller": SELLER_EXAMPLE,
                    "buyer": BUYER_EXAMPLE,
                    "lines": LINES_EXAMPLE[:1],
                }
            ]
        },
    )

    series: str = Field(default="AV", pattern=SERIES)
    corrects: UUID = Field(description="The issued invoice it corrects (at most what is left of it).")


class VatPart(BaseModel):
    category: str
    percent: Decimal
    basis_cents: int
    vat_cents: int
    exemption_mention: str | None


class Totals(BaseModel):
    lines_cents: int
    vat_cents: int
    total_cents: int


class Invoice(BaseModel):
    id: UUID
    object: Literal["invoice", "credit_note"]
    status: Literal["draft", "issued", "discarded"]
    series: str
    number: str | None
    activity_id: UUID
    seller: InvoiceParty
    buyer: InvoiceParty
    lines: list[InvoiceLine]
    payment_terms: PaymentTerms
    vat_exemption: str | None
    note: str | None
    corrects: UUID | None
    issue_date: date | None
    due_date: date | None
    vat_breakdown: list[VatPart]
    totals: Totals | None
    mentions: list[str]


class IssuedInvoice(BaseModel):
    id: UUID
    object: Literal["invoice", "credit_note"]
    number: str
    series: str
    issue_date: date
    total_cents: int
    corrects: UUID | None


async def _create(path: str, body: BaseModel, upstreams: ServiceUpstreams, caller: Caller) -> Response:
    return passed_through(
        await upstreams.billing.call("POST", path, caller, json=body.model_dump(mode="json"))
    )


@router.post(
    "/v1/invoices",
    status_code=201,
    response_model=Invoice,
    summary="Draft an invoice (and finalise it at once with `finalise`)",
    responses={201: {"headers": ETAG}, **problem_responses(400, 401, 403, 409, 413, 422)},
)
async def draft_invoice(
    body: InvoiceDraft, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("invoices:write")]
) -> Response:
    return await _create("/internal/invoices", body, upstreams, caller)


@router.post(
    "/v1/credit_notes",
    status_code=201,
    response_model=Invoice,
    summary="Draft a credit note correcting an issued invoice",
    responses={201: {"headers": ETAG}, **problem_responses(400, 401, 403, 409, 413, 422)},
)
async def draft_credit_note(
    body: CreditNoteDraft, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("invoices:write")]
) -> Response:
    return await _create("/internal/credit_notes", body, upstreams, caller)


@router.get(
    "/v1/invoices",
    response_model=Page[IssuedInvoice],
    summary="List the issued invoices and credit notes",
    responses=problem_responses(400, 401, 403),
)
async def list_invoices(
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("invoices:read")],
    limit: Limit = 10,
    cursor: Cursor = None,
    series: Annotated[str | None, Query(pattern=SERIES)] = None,
) -> Response:
    params = query(limit=limit, cursor=cursor, series=series)
    return passed_through(await upstreams.billing.call("GET", "/internal/invoices", caller, params=params))


@router.get(
    "/v1/invoices/{invoice_id:uuid}.xml",
    response_class=Response,
    summary="The issued invoice's Factur-X XML (EN 16931 CII), as issued",
    responses={200: {"content": {"application/xml": {}}}, **problem_responses(400, 401, 403, 404)},
)
async def invoice_xml(
    invoice_id: UUID, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("invoices:read")]
) -> Response:
    return passed_through(await upstreams.billing.call("GET", f"/internal/invoices/{invoice_id}.xml", caller))


@router.get(
    "/v1/invoices/{invoice_id:uuid}.pdf",
    response_class=Response,
    summary="The issued invoice's document: PDF/A-3 with its Factur-X XML embedded",
    responses={200: {"content": {"application/pdf": {}}}, **problem_responses(400, 401, 403, 404)},
)
async def invoice_pdf(
    invoice_id: UUID, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("invoices:read")]
) -> Response:
    return passed_through(await upstreams.billing.call("GET", f"/internal/invoices/{invoice_id}.pdf", caller))


@router.get(
    "/v1/invoices/{invoice_id:uuid}",
    response_model=Invoice,
    summary="Read an invoice or a credit note",
    responses={200: {"headers": ETAG}, **problem_responses(400, 401, 403, 404)},
)
async def read_invoice(
    invoice_id: UUID, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("invoices:read")]
) -> Response:
    return passed_through(await upstreams.billing.call("GET", f"/internal/invoices/{invoice_id}", caller))


@router.put(
    "/v1/invoices/{invoice_id:uuid}",
    response_model=Invoice,
    summary="Change a draft",
    description="Replaces the draft's content; with `If-Match` only that version, else 412. An issued "
    "invoice is never changed (409): a credit note corrects it.",
    responses={200: {"headers": ETAG}, **problem_responses(400, 401, 403, 404, 409, 412)},
)
async def change_draft(
    invoice_id: UUID,
    body: DraftContent,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("invoices:write")],
    if_match: Annotated[
        str | None, Header(max_length=64, description="The ETag of the version to change.")
    ] = None,
) -> Response:
    answer = await upstreams.billing.call(
        "PUT",
        f"/internal/invoices/{invoice_id}",
        caller,
        json=body.model_dump(mode="json"),
        if_match=if_match,
    )
    return passed_through(answer)


@router.delete(
    "/v1/invoices/{invoice_id:uuid}",
    response_model=Invoice,
    summary="Discard a draft (it had no number: no gap)",
    responses={200: {"headers": ETAG}, **problem_responses(400, 401, 403, 404, 409, 412)},
)
async def discard_draft(
    invoice_id: UUID,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("invoices:write")],
    if_match: Annotated[
        str | None, Header(max_length=64, description="The ETag of the version to discard.")
    ] = None,
) -> Response:
    answer = await upstreams.billing.call(
        "DELETE", f"/internal/invoices/{invoice_id}", caller, if_match=if_match
    )
    return passed_through(answer)


@router.post(
    "/v1/invoices/{invoice_id:uuid}/finalise",
    response_model=Invoice,
    summary="Finalise: number, date, total and Factur-X XML; the invoice never changes again",
    description="Retrying answers the same number. A failed Factur-X check is a 422 `facturx_rejected` whose "
    "`rules` name the failed rules (e.g. BR-CO-15, BR-FR-11_BT-47); no number is taken.",
    responses={200: {"headers": ETAG}, **problem_responses(400, 401, 403, 404, 409, 422)},
)
async def finalise_invoice(
    invoice_id: UUID, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("invoices:write")]
) -> Response:
    return passed_through(
        await upstreams.billing.call("POST", f"/internal/invoices/{invoice_id}/finalise", caller)
    )


# ---- quotes: no legal number; changed while open, then accepted (within validity) or declined ----


class QuoteContent(DraftContent):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "buyer": BUYER_EXAMPLE,
                    "lines": LINES_EXAMPLE,
                    "payment_terms": {"days": 30},
                    "valid_until": "2099-01-31",
                }
            ]
        },
    )

    valid_until: date | None = Field(
        default=None,
        description="The last day it may be accepted: today to 365 days ahead; 30 days from today if "
        "left out.",
    )


class QuoteDraft(QuoteContent):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "activity_id": "0197a3c2-5b1e-7c3d-9a4f-2e6b8d1c0f57",
                    "seller": SELLER_EXAMPLE,
                    "buyer": BUYER_EXAMPLE,
                    "lines": LINES_EXAMPLE,
                    "payment_terms": {"days": 30},
                }
            ]
        },
    )

    activity_id: UUID
    seller: InvoiceParty


class QuoteAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"accepted": True}]})

    accepted: bool = Field(description="true: accepted (within its validity); false: declined.")


class Quote(BaseModel):
    id: UUID
    object: Literal["quote"]
    status: Literal["open", "accepted", "declined"]
    activity_id: UUID
    seller: InvoiceParty
    buyer: InvoiceParty
    lines: list[InvoiceLine]
    payment_terms: PaymentTerms
    vat_exemption: str | None
    note: str | None
    valid_until: date


QUOTE_ETAG = {"ETag": {"description": "The quote's version, for If-Match.", "schema": {"type": "string"}}}


@router.post(
    "/v1/quotes",
    status_code=201,
    response_model=Quote,
    summary="Draft a quote",
    responses={201: {"headers": QUOTE_ETAG}, **problem_responses(400, 401, 403, 409, 413)},
)
async def draft_quote(
    body: QuoteDraft, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("invoices:write")]
) -> Response:
    return await _create("/internal/quotes", body, upstreams, caller)


@router.get(
    "/v1/quotes/{quote_id:uuid}",
    response_model=Quote,
    summary="Read a quote",
    responses={200: {"headers": QUOTE_ETAG}, **problem_responses(400, 401, 403, 404)},
)
async def read_quote(
    quote_id: UUID, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("invoices:read")]
) -> Response:
    return passed_through(await upstreams.billing.call("GET", f"/internal/quotes/{quote_id}", caller))


@router.put(
    "/v1/quotes/{quote_id:uuid}",
    response_model=Quote,
    summary="Change an open quote",
    responses={200: {"headers": QUOTE_ETAG}, **problem_responses(400, 401, 403, 404, 409, 412)},
)
async def change_quote(
    quote_id: UUID,
    body: QuoteContent,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("invoices:write")],
    if_match: Annotated[
        str | None, Header(max_length=64, description="The ETag of the version to change.")
    ] = None,
) -> Response:
    answer = await upstreams.billing.call(
        "PUT", f"/internal/quotes/{quote_id}", caller, json=body.model_dump(mode="json"), if_match=if_match
    )
    return passed_through(answer)


@router.post(
    "/v1/quotes/{quote_id:uuid}/answer",
    response_model=Quote,
    summary="Accept or decline an open quote",
    description="Accepting a quote past its validity is a 409 `quote_expired`; a closed quote, 409 "
    "`quote_closed`.",
    responses={200: {"headers": QUOTE_ETAG}, **problem_responses(400, 401, 403, 404, 409, 412)},
)
async def answer_quote(
    quote_id: UUID,
    body: QuoteAnswer,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("invoices:write")],
    if_match: Annotated[
        str | None, Header(max_length=64, description="The ETag of the version to answer.")
    ] = None,
) -> Response:
    answer = await upstreams.billing.call(
        "POST",
        f"/internal/quotes/{quote_id}/answer",
        caller,
        json=body.model_dump(mode="json"),
        if_match=if_match,
    )
    return passed_through(answer)
