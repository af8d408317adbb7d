"""A client's credit (avoir client): the excess of its payments, kept per buyer SIREN within the tenant, and
applied to another of its invoices as a payment of that invoice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from billing_svc.domain.receivables.rules import NotEnoughClientCredit


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


ClientCreditEvent = ClientCreditKept | ClientCreditApplied
EVENT_TYPES: dict[str, type[ClientCreditEvent]] = {
    "ClientCreditKept": ClientCreditKept,
    "ClientCreditApplied": ClientCreditApplied,
}


@dataclass(frozen=True)
class KeepCredit:
    kept: ClientCreditKept


@dataclass(frozen=True)
class ApplyCredit:
    applied: ClientCreditApplied


ClientCreditCommand = KeepCredit | ApplyCredit


@dataclass(frozen=True)
class ClientCredit:
    balance_cents: int = 0
    sources: frozenset[UUID] = frozenset()
    payments: frozenset[UUID] = frozenset()


initial_state = ClientCredit()


def decide(command: ClientCreditCommand, state: ClientCredit) -> list[ClientCreditEvent]:
    match command:
        case KeepCredit(kept=kept):
            return [] if kept.source_id in state.sources else [kept]
        case ApplyCredit(applied=applied):
            if applied.payment_id in state.payments:
                return []
            if applied.amount_cents > state.balance_cents:
                raise NotEnoughClientCredit(
                    f"the client {applied.buyer_siren} has {state.balance_cents} cents of credit, "
                    f"not {applied.amount_cents}"
                )
            return [applied]


def evolve(state: ClientCredit, event: ClientCreditEvent) -> ClientCredit:
    match event:
        case ClientCreditKept():
            return ClientCredit(
                state.balance_cents + event.amount_cents, state.sources | {event.source_id}, state.payments
            )
        case ClientCreditApplied():
            return ClientCredit(
                state.balance_cents - event.amount_cents, state.sources, state.payments | {event.payment_id}
            )


def stream_id(buyer_siren: str) -> str:
    return f"client-credit-{buyer_siren}"
