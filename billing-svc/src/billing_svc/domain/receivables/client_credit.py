"""A client's credit (avoir client): the excess of its payments, kept per buyer SIREN within the tenant,
applied to another of its invoices as a payment of that invoice, or refunded to the client."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from billing_svc.domain.receivables.rules import InvalidReceivableField, NotEnoughClientCredit


class ClientCreditKept(BaseModel):
    model_config = ConfigDict(frozen=True)

    buyer_siren: str
    source_id: UUID  # the payment (or credit note) whose excess it is
    invoice_id: UUID
    amount_cents: int
    kept_on: date
    recorded_at: datetime


class ClientCreditApplied(BaseModel):
    model_config = ConfigDict(frozen=True)

    buyer_siren: str
    payment_id: UUID  # the payment it makes on the invoice
    invoice_id: UUID
    amount_cents: int
    applied_on: date
    recorded_at: datetime


class ClientCreditRefunded(BaseModel):
    """Money given back to the client out of its credit (a transfer made by the cooperative)."""

    model_config = ConfigDict(frozen=True)

    buyer_siren: str
    refund_id: UUID
    amount_cents: int
    refunded_on: date
    reference: str | None
    recorded_at: datetime


ClientCreditEvent = ClientCreditKept | ClientCreditApplied | ClientCreditRefunded
EVENT_TYPES: dict[str, type[ClientCreditEvent]] = {
    "ClientCreditKept": ClientCreditKept,
    "ClientCreditApplied": ClientCreditApplied,
    "ClientCreditRefunded": ClientCreditRefunded,
}


@dataclass(frozen=True)
class KeepCredit:
    kept: ClientCreditKept


@dataclass(frozen=True)
class ApplyCredit:
    applied: ClientCreditApplied


@dataclass(frozen=True)
class RefundCredit:
    refunded: ClientCreditRefunded


ClientCreditCommand = KeepCredit | ApplyCredit | RefundCredit


@dataclass(frozen=True)
class ClientCredit:
    balance_cents: int = 0
    sources: frozenset[UUID] = frozenset()
    payments: frozenset[UUID] = frozenset()
    refunds: frozenset[UUID] = frozenset()


initial_state = ClientCredit()


def _take(state: ClientCredit, buyer_siren: str, amount_cents: int) -> None:
    """What is applied or refunded comes out of the credit there is: it never goes below 0."""
    if amount_cents <= 0:
        raise InvalidReceivableField("amount_cents", "more than 0 cents")
    if amount_cents > state.balance_cents:
        raise NotEnoughClientCredit(buyer_siren, state.balance_cents, amount_cents)


def decide(command: ClientCreditCommand, state: ClientCredit) -> list[ClientCreditEvent]:
    match command:
        case KeepCredit(kept=kept):
            return [] if kept.source_id in state.sources else [kept]
        case ApplyCredit(applied=applied):
            if applied.payment_id in state.payments:
                return []
            _take(state, applied.buyer_siren, applied.amount_cents)
            return [applied]
        case RefundCredit(refunded=refunded):
            if refunded.refund_id in state.refunds:
                return []  # the same refund told twice
            _take(state, refunded.buyer_siren, refunded.amount_cents)
            return [refunded]


def evolve(state: ClientCredit, event: ClientCreditEvent) -> ClientCredit:
    match event:
        case ClientCreditKept():
            return replace(
                state,
                balance_cents=state.balance_cents + balance_change(event),
                sources=state.sources | {event.source_id},
            )
        case ClientCreditApplied():
            return replace(
                state,
                balance_cents=state.balance_cents + balance_change(event),
                payments=state.payments | {event.payment_id},
            )
        case ClientCreditRefunded():
            return replace(
                state,
                balance_cents=state.balance_cents + balance_change(event),
                refunds=state.refunds | {event.refund_id},
            )


def balance_change(event: ClientCreditEvent) -> int:
    """What the event does to the client's credit: kept adds, applied and refunded take away."""
    return event.amount_cents if isinstance(event, ClientCreditKept) else -event.amount_cents


@dataclass(frozen=True, slots=True)
class CreditMovement:
    """One line of a client's credit statement: what came in or went out, and the credit after it."""

    kind: str  # kept, applied, refunded
    on: date
    amount_cents: int  # signed: kept adds, applied and refunded take away
    balance_after_cents: int
    invoice_id: UUID | None  # the invoice overpaid (kept) or paid with the credit (applied)
    payment_id: UUID | None  # the overpaying payment (kept) or the payment the credit made (applied)
    refund_id: UUID | None
    reference: str | None  # the bank reference of a refund


def statement(events: Iterable[ClientCreditEvent]) -> list[CreditMovement]:
    """The client's credit, movement by movement, in the order they were recorded."""
    movements: list[CreditMovement] = []
    balance = 0
    for event in events:
        balance += balance_change(event)
        common = {"amount_cents": balance_change(event), "balance_after_cents": balance}
        match event:
            case ClientCreditKept():
                movement = CreditMovement(
                    kind="kept",
                    on=event.kept_on,
                    invoice_id=event.invoice_id,
                    payment_id=event.source_id,
                    refund_id=None,
                    reference=None,
                    **common,
                )
            case ClientCreditApplied():
                movement = CreditMovement(
                    kind="applied",
                    on=event.applied_on,
                    invoice_id=event.invoice_id,
                    payment_id=event.payment_id,
                    refund_id=None,
                    reference=None,
                    **common,
                )
            case ClientCreditRefunded():
                movement = CreditMovement(
                    kind="refunded",
                    on=event.refunded_on,
                    invoice_id=None,
                    payment_id=None,
                    refund_id=event.refund_id,
                    reference=event.reference,
                    **common,
                )
        movements.append(movement)
    return movements


def stream_id(buyer_siren: str) -> str:
    return f"client-credit-{buyer_siren}"
