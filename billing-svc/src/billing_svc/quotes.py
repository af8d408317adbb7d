"""Quote commands as the API runs them (a quote has no legal number: no lock, one stream per quote)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

from billing_svc.codecs import QUOTE, QUOTE_CODEC
from billing_svc.domain import quotes
from billing_svc.domain.invoicing import DraftContent, Party
from billing_svc.invoices import paris_today
from billing_svc.reference import REFERENCE
from services import command_loop
from services.runtime import Resources
from services.telemetry import current_traceparent


@dataclass(frozen=True)
class Quotes:
    resources: Resources

    async def state(self, quote_id: UUID, *, tenant: str) -> tuple[int, quotes.Quote]:
        recorded = await self.resources.store.read_stream(quotes.stream_id(quote_id), tenant=tenant)
        state = QUOTE.fold(QUOTE_CODEC.decode(r) for r in recorded)
        if not isinstance(state, quotes.Quote):
            raise quotes.UnknownQuote(f"no quote {quote_id}")
        return recorded[-1].stream_version, state

    async def draft(
        self,
        quote_id: UUID,
        *,
        activity_id: UUID,
        seller: Party,
        content: DraftContent,
        valid_until: date,
        tenant: str,
        correlation_id: str,
    ) -> tuple[int, quotes.QuoteState]:
        now = datetime.now(UTC)
        command = quotes.DraftQuote(
            quote_id, activity_id, seller, content, valid_until, now, paris_today(now), REFERENCE
        )
        return await self._handle(command, tenant=tenant, correlation_id=correlation_id)

    async def change(
        self,
        quote_id: UUID,
        content: DraftContent,
        valid_until: date,
        *,
        tenant: str,
        correlation_id: str,
        expected: int | None,
    ) -> tuple[int, quotes.QuoteState]:
        now = datetime.now(UTC)
        command = quotes.ChangeQuote(quote_id, content, valid_until, now, paris_today(now), REFERENCE)
        return await self._handle(command, tenant=tenant, correlation_id=correlation_id, expected=expected)

    async def answer(
        self, quote_id: UUID, accepted: bool, *, tenant: str, correlation_id: str, expected: int | None
    ) -> tuple[int, quotes.QuoteState]:
        command = quotes.AnswerQuote(quote_id, accepted, paris_today(datetime.now(UTC)))
        return await self._handle(command, tenant=tenant, correlation_id=correlation_id, expected=expected)

    async def _handle(
        self,
        command: quotes.QuoteCommand,
        *,
        tenant: str,
        correlation_id: str,
        expected: int | None = None,
    ) -> tuple[int, quotes.QuoteState]:
        handled = await command_loop.handle(
            self.resources.store,
            QUOTE,
            QUOTE_CODEC,
            quotes.stream_id(command.quote_id),
            command,
            tenant=tenant,
            metadata={"correlation_id": correlation_id or None, "traceparent": current_traceparent()},
            expected_version=expected,
        )
        return handled.version, handled.state
