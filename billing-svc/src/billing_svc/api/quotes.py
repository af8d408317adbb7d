"""Quotes: draft, change while open, accept or decline, read (internal API, via the gateway)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request, Response
from pydantic import BaseModel, ConfigDict

from billing_svc.api.invoices import DraftBody, PartyIn
from billing_svc.domain.invoicing import Line, Party, PaymentTerms
from billing_svc.domain.quotes import (
    Quote,
    QuoteAlreadyExists,
    QuoteClosed,
    QuoteExpired,
    QuoteState,
    UnknownQuote,
)
from billing_svc.invoices import paris_today
from billing_svc.quotes import Quotes
from services.caller import CurrentCaller, require_scope
from services.http import Problem, ProblemMapper, current_request_id
from services.http.preconditions import etag, expected_version, precondition
from services.request_keys import CurrentRequestKey, id_for

router = APIRouter(prefix="/internal")


DEFAULT_VALIDITY = timedelta(days=30)


class QuoteContentIn(DraftBody):
    valid_until: date | None = None  # 30 days from today (Europe/Paris) when left out

    def validity(self) -> date:
        return self.valid_until or paris_today(datetime.now(UTC)) + DEFAULT_VALIDITY


class QuoteDraftIn(QuoteContentIn):
    activity_id: UUID
    seller: PartyIn


class QuoteAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accepted: bool


class QuoteOut(BaseModel):
    id: UUID
    object: Literal["quote"] = "quote"
    status: Literal["open", "accepted", "declined"]
    activity_id: UUID
    seller: Party
    buyer: Party
    lines: list[Line]
    payment_terms: PaymentTerms
    vat_exemption: str | None
    note: str | None
    valid_until: date


def _out(state: QuoteState) -> QuoteOut:
    assert isinstance(state, Quote)  # every command refuses an unknown quote
    content = state.content
    return QuoteOut(
        id=state.quote_id,
        status=state.status,
        activity_id=state.activity_id,
        seller=state.seller,
        buyer=content.buyer,
        lines=list(content.lines),
        payment_terms=content.payment_terms,
        vat_exemption=content.vat_exemption,
        note=content.note,
        valid_until=state.valid_until,
    )


async def _quotes(request: Request) -> Quotes:  # async: no worker-thread hop
    quotes: Quotes = request.app.state.service.quotes
    return quotes


QuotesDep = Annotated[Quotes, Depends(_quotes)]


def _correlation() -> str:
    return current_request_id() or ""


@router.post("/quotes", status_code=201)
async def draft_quote(
    body: QuoteDraftIn,
    caller: CurrentCaller,
    quotes: QuotesDep,
    response: Response,
    request_key: CurrentRequestKey,
) -> QuoteOut:
    """A retried request names the same quote and answers the one its first run drafted (ADR 023)."""
    require_scope(caller, "invoices:write")
    quote_id = id_for(request_key, "quote")
    try:
        version, state = await quotes.draft(
            quote_id,
            activity_id=body.activity_id,
            seller=body.seller.party(),
            content=body.content(),
            valid_until=body.validity(),
            tenant=caller.tenant,
            correlation_id=_correlation(),
        )
    except QuoteAlreadyExists:
        if request_key is None:
            raise
        version, state = await quotes.state(quote_id, tenant=caller.tenant)
    out = _out(state)
    response.headers["ETag"] = etag(version)
    response.headers["Location"] = f"/v1/quotes/{out.id}"
    return out


@router.get("/quotes/{quote_id}")
async def read_quote(
    quote_id: UUID, caller: CurrentCaller, quotes: QuotesDep, response: Response
) -> QuoteOut:
    require_scope(caller, "invoices:read")
    version, state = await quotes.state(quote_id, tenant=caller.tenant)
    response.headers["ETag"] = etag(version)
    return _out(state)


@router.put("/quotes/{quote_id}")
async def change_quote(
    quote_id: UUID,
    body: QuoteContentIn,
    caller: CurrentCaller,
    quotes: QuotesDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> QuoteOut:
    require_scope(caller, "invoices:write")
    expected = expected_version(if_match)
    with precondition(expected, "quote"):
        version, state = await quotes.change(
            quote_id,
            body.content(),
            body.validity(),
            tenant=caller.tenant,
            correlation_id=_correlation(),
            expected=expected,
        )
    response.headers["ETag"] = etag(version)
    return _out(state)


@router.post("/quotes/{quote_id}/answer")
async def answer_quote(
    quote_id: UUID,
    body: QuoteAnswerIn,
    caller: CurrentCaller,
    quotes: QuotesDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> QuoteOut:
    require_scope(caller, "invoices:write")
    expected = expected_version(if_match)
    with precondition(expected, "quote"):
        version, state = await quotes.answer(
            quote_id, body.accepted, tenant=caller.tenant, correlation_id=_correlation(), expected=expected
        )
    response.headers["ETag"] = etag(version)
    return _out(state)


PROBLEM_MAPPERS: dict[type[Exception], ProblemMapper] = {
    UnknownQuote: lambda error: Problem(404, "quote_not_found", detail=str(error)),
    QuoteClosed: lambda error: Problem(409, "quote_closed", detail=str(error)),
    QuoteExpired: lambda error: Problem(409, "quote_expired", detail=str(error), param="body.accepted"),
}
