"""The quote aggregate: an offer on the activity's behalf, changed while open, then accepted or declined.

A quote carries no legal number; its content (lines, VAT, terms) follows the invoice's rules, so an accepted
quote becomes an invoice draft as it stands.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from billing_svc.domain.invoicing.events import DraftContent, Party
from billing_svc.domain.invoicing.reference import BillingReference
from billing_svc.domain.invoicing.rules import InvalidInvoiceField, check_content, check_party

MAX_VALIDITY_DAYS = 365


class UnknownQuote(LookupError):
    pass


class QuoteClosed(Exception):
    """The quote was accepted or declined: it changes no more."""


class QuoteAlreadyExists(QuoteClosed):
    """A quote under this id was drafted already (by the first run of a retried request, say)."""


class QuoteExpired(Exception):
    """The quote is past its validity date: it can no longer be accepted."""


class QuoteDrafted(BaseModel):
    model_config = ConfigDict(frozen=True)

    quote_id: UUID
    activity_id: UUID
    seller: Party
    content: DraftContent
    valid_until: date
    drafted_at: datetime


class QuoteChanged(BaseModel):
    model_config = ConfigDict(frozen=True)

    quote_id: UUID
    content: DraftContent
    valid_until: date
    changed_at: datetime


class QuoteAccepted(BaseModel):
    model_config = ConfigDict(frozen=True)

    quote_id: UUID
    accepted_on: date


class QuoteDeclined(BaseModel):
    model_config = ConfigDict(frozen=True)

    quote_id: UUID
    declined_on: date


QuoteEvent = QuoteDrafted | QuoteChanged | QuoteAccepted | QuoteDeclined


@dataclass(frozen=True)
class DraftQuote:
    quote_id: UUID
    activity_id: UUID
    seller: Party
    content: DraftContent
    valid_until: date
    now: datetime
    today: date
    reference: BillingReference


@dataclass(frozen=True)
class ChangeQuote:
    quote_id: UUID
    content: DraftContent
    valid_until: date
    now: datetime
    today: date
    reference: BillingReference


@dataclass(frozen=True)
class AnswerQuote:
    quote_id: UUID
    accepted: bool
    today: date


QuoteCommand = DraftQuote | ChangeQuote | AnswerQuote


@dataclass(frozen=True)
class NoQuote:
    pass


@dataclass(frozen=True)
class Quote:
    quote_id: UUID
    activity_id: UUID
    seller: Party
    content: DraftContent
    valid_until: date
    status: Literal["open", "accepted", "declined"] = "open"


QuoteState = NoQuote | Quote
initial_state: QuoteState = NoQuote()


def _check_validity(valid_until: date, today: date) -> date:
    if not 0 <= (valid_until - today).days <= MAX_VALIDITY_DAYS:
        raise InvalidInvoiceField("valid_until", f"from today to {MAX_VALIDITY_DAYS} days ahead")
    return valid_until


def _open(state: QuoteState, quote_id: UUID) -> Quote:
    if isinstance(state, NoQuote):
        raise UnknownQuote(f"no quote {quote_id}")
    if state.status != "open":
        raise QuoteClosed(f"quote {quote_id} is {state.status}")
    return state


def decide(command: QuoteCommand, state: QuoteState) -> list[QuoteEvent]:
    match command:
        case DraftQuote():
            if not isinstance(state, NoQuote):
                raise QuoteAlreadyExists(f"quote {command.quote_id} exists already")
            return [
                QuoteDrafted(
                    quote_id=command.quote_id,
                    activity_id=command.activity_id,
                    seller=check_party("seller", command.seller, siren_required=True),
                    content=check_content(command.content, command.reference, command.today),
                    valid_until=_check_validity(command.valid_until, command.today),
                    drafted_at=command.now,
                )
            ]
        case ChangeQuote():
            _open(state, command.quote_id)
            return [
                QuoteChanged(
                    quote_id=command.quote_id,
                    content=check_content(command.content, command.reference, command.today),
                    valid_until=_check_validity(command.valid_until, command.today),
                    changed_at=command.now,
                )
            ]
        case AnswerQuote():
            quote = _open(state, command.quote_id)
            if command.accepted:
                if command.today > quote.valid_until:
                    raise QuoteExpired(f"quote {command.quote_id} was valid until {quote.valid_until}")
                return [QuoteAccepted(quote_id=command.quote_id, accepted_on=command.today)]
            return [QuoteDeclined(quote_id=command.quote_id, declined_on=command.today)]


def evolve(state: QuoteState, event: QuoteEvent) -> QuoteState:
    match event:
        case QuoteDrafted():
            return Quote(event.quote_id, event.activity_id, event.seller, event.content, event.valid_until)
        case QuoteChanged():
            return (
                replace(state, content=event.content, valid_until=event.valid_until)
                if isinstance(state, Quote)
                else state
            )
        case QuoteAccepted():
            return replace(state, status="accepted") if isinstance(state, Quote) else state
        case QuoteDeclined():
            return replace(state, status="declined") if isinstance(state, Quote) else state


def stream_id(quote_id: UUID) -> str:
    return f"quote-{quote_id}"
