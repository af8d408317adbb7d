"""Private invoice events -> public `billing.*` events (none yet: they come with the public API)."""

from __future__ import annotations

from collections.abc import Sequence

from billing_svc.domain.invoicing import InvoiceEvent
from services.command_loop import Decided
from services.envelope import Envelope


def to_public(decided: Sequence[Decided[InvoiceEvent]]) -> list[Envelope]:
    return []
