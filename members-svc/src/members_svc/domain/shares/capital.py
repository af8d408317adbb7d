"""The cooperative's capital, one stream per tenant: it refuses a reduction below the legal floor.

Each event carries the running totals after it, so the state is the last event alone (loading it is O(1)).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from members_svc.domain.shares.events import CapitalEvent, CapitalIncreased, CapitalReduced
from members_svc.domain.shares.rules import CapitalBelowFloor, InvalidAmount
from members_svc.domain.shares.state import Capital


@dataclass(frozen=True)
class IncreaseCapital:
    member_id: UUID
    amount_cents: int


@dataclass(frozen=True)
class ReduceCapital:
    member_id: UUID
    amount_cents: int


CapitalCommand = IncreaseCapital | ReduceCapital
initial_capital = Capital()


def decide_capital(command: CapitalCommand, state: Capital) -> list[CapitalEvent]:
    if command.amount_cents <= 0:
        raise InvalidAmount("a change of capital is a positive number of cents")
    match command:
        case IncreaseCapital():
            after = state.capital_cents + command.amount_cents
            return [
                CapitalIncreased(
                    amount_cents=command.amount_cents,
                    capital_cents=after,
                    historic_max_cents=max(state.historic_max_cents, after),
                    member_id=command.member_id,
                )
            ]
        case ReduceCapital():
            after = state.capital_cents - command.amount_cents
            if after < state.floor_cents:
                raise CapitalBelowFloor(
                    f"the capital would fall to {after} cents, below {state.floor_cents} cents,"
                    f" a quarter of its highest ({state.historic_max_cents} cents)"
                )
            return [
                CapitalReduced(
                    amount_cents=command.amount_cents,
                    capital_cents=after,
                    historic_max_cents=state.historic_max_cents,
                    member_id=command.member_id,
                )
            ]


def evolve_capital(state: Capital, event: CapitalEvent) -> Capital:
    return Capital(capital_cents=event.capital_cents, historic_max_cents=event.historic_max_cents)


def capital_stream_id(tenant: str) -> str:
    return f"capital-{tenant}"
