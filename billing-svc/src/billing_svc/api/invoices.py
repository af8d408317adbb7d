"""Invoices and credit notes: draft, change, discard, finalise, read, XML and PDF (internal API)."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from billing_svc.domain.invoicing import (
    DraftContent,
    DraftState,
    InvoiceState,
    IssuedInvoice,
    Line,
    Party,
    PaymentTerms,
)
from billing_svc.domain.invoicing.events import Address
from billing_svc.domain.invoicing.rules import (
    CannotFinalise,
    CreditNoteRefused,
    InvalidInvoiceField,
    InvoiceAlreadyExists,
    InvoiceAlreadyIssued,
    InvoiceDiscarded,
    UnknownInvoice,
)
from billing_svc.facturx.checks import FacturXRejected
from billing_svc.facturx.pdf import invoice_pdf
from billing_svc.invoices import Invoices
from services.caller import CurrentCaller, require_scope
from services.http import Problem, ProblemMapper, current_request_id
from services.http.preconditions import etag, expected_version, precondition
from services.pagination import Cursor, Limit, Page, page_of, uuid_after
from services.request_keys import CurrentRequestKey, RequestKey, id_for
from services.tenancy import tenant_transaction

router = APIRouter(prefix="/internal")


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    street: str = Field(min_length=1, max_length=200)
    postal_code: str = Field(min_length=1, max_length=16)
    city: str = Field(min_length=1, max_length=100)
    country: str = Field(default="FR", min_length=2, max_length=2)


class PartyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    siren: str | None = Field(default=None, max_length=16)
    vat_number: str | None = Field(default=None, max_length=32)
    address: AddressIn
    electronic_address: str | None = Field(default=None, max_length=100)
    kind: Literal["business", "consumer"] = "business"
    electronic_address_scheme: str = Field(default="0225", min_length=4, max_length=4)

    def party(self) -> Party:
        return Party(**{**self.model_dump(), "address": Address(**self.address.model_dump())})


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1, max_length=500)
    quantity: Decimal = Field(gt=0, le=1_000_000)
    unit_price_cents: int = Field(ge=0, le=10_000_000_000)
    vat_percent: Decimal | None = Field(default=None, ge=0, le=100)


class PaymentTermsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(default=30, ge=0, le=366)
    end_of_month: bool = False


class DraftBody(BaseModel):
    """What a draft says; changed as a whole while it is a draft."""

    model_config = ConfigDict(extra="forbid")

    buyer: PartyIn
    lines: list[LineIn] = Field(min_length=1, max_length=500)
    payment_terms: PaymentTermsIn = PaymentTermsIn()
    vat_exemption: str | None = Field(default=None, max_length=40)
    note: str | None = Field(default=None, max_length=1000)

    def content(self) -> DraftContent:
        return DraftContent(
            buyer=self.buyer.party(),
            lines=tuple(Line(**line.model_dump()) for line in self.lines),
            payment_terms=PaymentTerms(**self.payment_terms.model_dump()),
            vat_exemption=self.vat_exemption,
            note=self.note,
        )


class InvoiceDraftIn(DraftBody):
    series: str = Field(default="F", min_length=1, max_length=20)
    activity_id: UUID
    seller: PartyIn
    finalise: bool = False  # draft and finalise at once (a refused finalisation keeps the draft)


class CreditNoteDraftIn(InvoiceDraftIn):
    series: str = Field(default="AV", min_length=1, max_length=20)
    corrects: UUID


class VatOut(BaseModel):
    category: str
    percent: Decimal
    basis_cents: int
    vat_cents: int
    exemption_mention: str | None


class TotalsOut(BaseModel):
    lines_cents: int
    vat_cents: int
    total_cents: int


class InvoiceOut(BaseModel):
    id: UUID
    object: Literal["invoice", "credit_note"]
    status: Literal["draft", "issued", "discarded"]
    series: str
    number: str | None
    activity_id: UUID
    seller: Party
    buyer: Party
    lines: list[Line]
    payment_terms: PaymentTerms
    vat_exemption: str | None
    note: str | None
    corrects: UUID | None
    issue_date: date | None
    due_date: date | None
    vat_breakdown: list[VatOut]
    totals: TotalsOut | None
    mentions: list[str]


def _out(state: InvoiceState) -> InvoiceOut:
    issued = state if isinstance(state, IssuedInvoice) else None
    draft = state.draft if isinstance(state, IssuedInvoice) else state
    assert isinstance(draft, DraftState)
    content = draft.content
    mentions = []
    if issued is not None:
        m = issued.mentions
        mentions = [text for text in (m.late_penalty, m.recovery_indemnity, m.early_payment_discount) if text]
    return InvoiceOut(
        id=draft.invoice_id,
        object="credit_note" if draft.type_code == "381" else "invoice",
        status="issued" if issued else ("discarded" if draft.discarded else "draft"),
        series=draft.series,
        number=issued.number if issued else None,
        activity_id=draft.activity_id,
        seller=draft.seller,
        buyer=content.buyer,
        lines=list(content.lines),
        payment_terms=content.payment_terms,
        vat_exemption=content.vat_exemption,
        note=content.note,
        corrects=draft.corrects.invoice_id if draft.corrects else None,
        issue_date=issued.issue_date if issued else None,
        due_date=issued.due_date if issued else None,
        vat_breakdown=[VatOut(**b.model_dump(exclude={"vatex"})) for b in issued.vat_breakdown]
        if issued
        else [],
        totals=TotalsOut(
            lines_cents=issued.totals.lines_cents,
            vat_cents=issued.totals.vat_cents,
            total_cents=issued.totals.total_cents,
        )
        if issued
        else None,
        mentions=mentions,
    )


async def _invoices(request: Request) -> Invoices:  # async: no worker-thread hop
    invoices: Invoices = request.app.state.service.invoices
    return invoices


InvoicesDep = Annotated[Invoices, Depends(_invoices)]


async def _draft(
    body: InvoiceDraftIn,
    corrects: UUID | None,
    caller: CurrentCaller,
    invoices: Invoices,
    response: Response,
    request_key: RequestKey | None,
) -> InvoiceOut:
    """Draft (and finalise when asked). A retried request names the same invoice: it finds the draft its
    first run made and finalises it if that run stopped before (ADR 023)."""
    require_scope(caller, "invoices:write")
    invoice_id = id_for(request_key, "credit-note" if corrects else "invoice")
    try:
        version, state = await invoices.draft(
            invoice_id,
            series=body.series,
            activity_id=body.activity_id,
            seller=body.seller.party(),
            content=body.content(),
            corrects=corrects,
            tenant=caller.tenant,
            correlation_id=current_request_id() or "",
        )
    except InvoiceAlreadyExists:
        if request_key is None:
            raise
        version, state = await invoices.state(invoice_id, tenant=caller.tenant)
    if body.finalise:
        version, state = await invoices.finalise(
            invoice_id, tenant=caller.tenant, correlation_id=current_request_id() or ""
        )
    out = _out(state)
    response.headers["ETag"] = etag(version)
    response.headers["Location"] = f"/v1/invoices/{out.id}"
    return out


class IssuedListed(BaseModel):
    id: UUID
    object: Literal["invoice", "credit_note"]
    number: str
    series: str
    issue_date: date
    total_cents: int
    corrects: UUID | None


@router.get("/invoices")
async def list_issued(
    caller: CurrentCaller,
    invoices: InvoicesDep,
    limit: Limit = 10,
    cursor: Cursor = None,
    series: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9+\-_/]{1,20}$")] = None,
) -> Page[IssuedListed]:
    """Issued invoices and credit notes, by id (drafts are read one by one)."""
    require_scope(caller, "invoices:read")
    async with tenant_transaction(invoices.resources.pool, caller.tenant) as conn:
        rows = await conn.fetch(
            """SELECT invoice_id, type_code, number, series, issue_date, total_cents, corrects
               FROM issued_invoices
               WHERE tenant = $1 AND ($2::uuid IS NULL OR invoice_id > $2)
                 AND ($3::text IS NULL OR series = $3)
               ORDER BY invoice_id LIMIT $4""",
            caller.tenant,
            uuid_after(cursor),
            series,
            limit + 1,
        )
    page, has_more, next_cursor = page_of(list(rows), limit, lambda r: {"after": str(r["invoice_id"])})
    return Page[IssuedListed](
        data=[
            IssuedListed(
                id=r["invoice_id"],
                object="credit_note" if r["type_code"] == "381" else "invoice",
                number=r["number"],
                series=r["series"],
                issue_date=r["issue_date"],
                total_cents=r["total_cents"],
                corrects=r["corrects"],
            )
            for r in page
        ],
        has_more=has_more,
        next_cursor=next_cursor,
    )


@router.post("/invoices", status_code=201)
async def draft_invoice(
    body: InvoiceDraftIn,
    caller: CurrentCaller,
    invoices: InvoicesDep,
    response: Response,
    request_key: CurrentRequestKey,
) -> InvoiceOut:
    return await _draft(body, None, caller, invoices, response, request_key)


@router.post("/credit_notes", status_code=201)
async def draft_credit_note(
    body: CreditNoteDraftIn,
    caller: CurrentCaller,
    invoices: InvoicesDep,
    response: Response,
    request_key: CurrentRequestKey,
) -> InvoiceOut:
    return await _draft(body, body.corrects, caller, invoices, response, request_key)


@router.get(
    "/invoices/{invoice_id}.xml",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
async def invoice_xml(invoice_id: UUID, caller: CurrentCaller, invoices: InvoicesDep) -> Response:
    require_scope(caller, "invoices:read")
    xml = await invoices.issued_xml(invoice_id, tenant=caller.tenant)
    if xml is None:
        raise Problem(
            404, "issued_invoice_not_found", detail=f"no issued invoice {invoice_id} (a draft has no XML)"
        )
    return Response(xml, media_type="application/xml")


@router.get(
    "/invoices/{invoice_id}.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def invoice_document(invoice_id: UUID, caller: CurrentCaller, invoices: InvoicesDep) -> Response:
    require_scope(caller, "invoices:read")
    xml = await invoices.issued_xml(invoice_id, tenant=caller.tenant)
    if xml is None:
        raise Problem(
            404, "issued_invoice_not_found", detail=f"no issued invoice {invoice_id} (a draft has no PDF)"
        )
    _, state = await invoices.state(invoice_id, tenant=caller.tenant)
    assert isinstance(state, IssuedInvoice)
    pdf = await asyncio.to_thread(invoice_pdf, state, xml)  # tens of milliseconds: off the event loop
    return Response(pdf, media_type="application/pdf")


@router.get("/invoices/{invoice_id}")
async def read_invoice(
    invoice_id: UUID, caller: CurrentCaller, invoices: InvoicesDep, response: Response
) -> InvoiceOut:
    require_scope(caller, "invoices:read")
    version, state = await invoices.state(invoice_id, tenant=caller.tenant)
    response.headers["ETag"] = etag(version)
    return _out(state)


@router.put("/invoices/{invoice_id}")
async def change_draft(
    invoice_id: UUID,
    body: DraftBody,
    caller: CurrentCaller,
    invoices: InvoicesDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> InvoiceOut:
    require_scope(caller, "invoices:write")
    expected = expected_version(if_match)
    with precondition(expected, "invoice"):
        version, state = await invoices.change(
            invoice_id,
            body.content(),
            tenant=caller.tenant,
            correlation_id=current_request_id() or "",
            expected=expected,
        )
    response.headers["ETag"] = etag(version)
    return _out(state)


@router.delete("/invoices/{invoice_id}")
async def discard_draft(
    invoice_id: UUID,
    caller: CurrentCaller,
    invoices: InvoicesDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> InvoiceOut:
    require_scope(caller, "invoices:write")
    expected = expected_version(if_match)
    with precondition(expected, "invoice"):
        version, state = await invoices.discard(
            invoice_id, tenant=caller.tenant, correlation_id=current_request_id() or "", expected=expected
        )
    response.headers["ETag"] = etag(version)
    return _out(state)


@router.post("/invoices/{invoice_id}/finalise")
async def finalise_invoice(
    invoice_id: UUID, caller: CurrentCaller, invoices: InvoicesDep, response: Response
) -> InvoiceOut:
    require_scope(caller, "invoices:write")
    version, state = await invoices.finalise(
        invoice_id, tenant=caller.tenant, correlation_id=current_request_id() or ""
    )
    response.headers["ETag"] = etag(version)
    return _out(state)


def _invalid_field(error: Exception) -> Problem:
    assert isinstance(error, InvalidInvoiceField)
    return Problem(400, "invalid_invoice", detail=str(error), param=f"body.{error.field}")


def _rejected(error: Exception) -> Problem:
    assert isinstance(error, FacturXRejected)
    return Problem(
        422,
        "facturx_rejected",
        detail=str(error),
        extensions={"rules": list(dict.fromkeys(error.rules))},
    )


PROBLEM_MAPPERS: dict[type[Exception], ProblemMapper] = {
    InvalidInvoiceField: _invalid_field,
    UnknownInvoice: lambda error: Problem(404, "invoice_not_found", detail=str(error)),
    InvoiceAlreadyExists: lambda error: Problem(409, "invoice_already_exists", detail=str(error)),
    InvoiceAlreadyIssued: lambda error: Problem(409, "invoice_already_issued", detail=str(error)),
    InvoiceDiscarded: lambda error: Problem(409, "invoice_discarded", detail=str(error)),
    CannotFinalise: lambda error: Problem(422, "invoice_cannot_be_finalised", detail=str(error)),
    CreditNoteRefused: lambda error: Problem(
        409, "credit_note_refused", detail=str(error), param="body.corrects"
    ),
    FacturXRejected: _rejected,
}
