"""The activity account's decider and its event codec, under the stable names the event store keeps."""

from __future__ import annotations

from billing_svc.domain import accounts
from billing_svc.domain.accounts.events import EVENT_TYPES, AccountEvent
from services.decider import Decider, EventCodec

ACCOUNT_CODEC: EventCodec[AccountEvent] = EventCodec(EVENT_TYPES)
ACCOUNT = Decider(accounts.decide, accounts.evolve, accounts.initial_state)
