"""The stored names of the shares events, and the two deciders (pure: no I/O)."""

from __future__ import annotations

from members_svc.domain.shares import (
    Capital,
    CapitalCommand,
    CapitalEvent,
    CapitalIncreased,
    CapitalReduced,
    ShareCommand,
    ShareEvent,
    SharesPaid,
    SharesRepaid,
    SharesState,
    SharesSubscribed,
    decide,
    decide_capital,
    evolve,
    evolve_capital,
    initial_capital,
    initial_state,
)
from services.decider import Decider, EventCodec

SHARES_CODEC: EventCodec[ShareEvent] = EventCodec(
    {"SharesSubscribed": SharesSubscribed, "SharesPaid": SharesPaid, "SharesRepaid": SharesRepaid}
)
CAPITAL_CODEC: EventCodec[CapitalEvent] = EventCodec(
    {"CapitalIncreased": CapitalIncreased, "CapitalReduced": CapitalReduced}
)
SHARES: Decider[ShareCommand, ShareEvent, SharesState] = Decider(decide, evolve, initial_state)
CAPITAL: Decider[CapitalCommand, CapitalEvent, Capital] = Decider(
    decide_capital, evolve_capital, initial_capital
)
