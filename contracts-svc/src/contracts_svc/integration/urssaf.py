"""The DPAE's way out: a fake URSSAF that keeps the real payload, and the retries around any adapter.

Real transmission (net-entreprises / URSSAF's DPAE service) cannot run here; the fake stands at the port
with the payload as it would be sent, and answers as configured: acknowledge, refuse, or fail transiently a
number of times first. It keeps what it received in memory only (the payload names a person).
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from contracts_svc.domain.contracts.hire_declaration import (
    Acknowledged,
    HireDeclarationPayload,
    HireDeclarationPort,
    Refused,
    TransientDeclarationFailure,
)

REQUIRED = (  # R1221-1: what a DPAE must name; the fake refuses a payload without one of them
    "employer_legal_name",
    "employer_siret",
    "employer_ape_code",
    "employer_address",
    "occupational_health_service",
    "employee_last_name",
    "employee_first_names",
    "employee_sex",
    "employee_birth_date",
    "employee_birth_place",
    "hiring_date",
    "hiring_time",
    "contract_type",
)


def wire_format(payload: HireDeclarationPayload) -> dict[str, Any]:
    """The payload as JSON would carry it: dates ISO 8601, ids as strings."""
    return {
        key: value.isoformat()
        if isinstance(value, date)
        else str(value)
        if key == "declaration_id"
        else value
        for key, value in asdict(payload).items()
    }


@dataclass
class FakeUrssaf:
    """Acknowledges (`DPAE-<n>`) or refuses; first fails transiently `transient_failures` times."""

    mode: Literal["acknowledge", "refuse"] = "acknowledge"
    refusal_reason: str = "déclaration refusée par l'URSSAF"
    transient_failures: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def declare(self, payload: HireDeclarationPayload) -> Acknowledged | Refused:
        self.attempts += 1
        if self.transient_failures > 0:
            self.transient_failures -= 1
            raise TransientDeclarationFailure("URSSAF is unavailable, try again later")
        wire = wire_format(payload)
        self.received.append(wire)
        missing = [name for name in REQUIRED if not wire.get(name)]
        if missing:
            return Refused(f"champs obligatoires manquants: {', '.join(missing)}")
        if self.mode == "refuse":
            return Refused(self.refusal_reason)
        return Acknowledged(f"DPAE-{next(self._numbers):08d}", datetime.now(UTC))


@dataclass(frozen=True)
class RetryingDeclarations:
    """Sends again after a transient failure, `attempts` times in all, waiting longer each time."""

    port: HireDeclarationPort
    attempts: int = 3
    base_delay: float = 0.05

    async def declare(self, payload: HireDeclarationPayload) -> Acknowledged | Refused:
        for attempt in range(1, self.attempts + 1):
            try:
                return await self.port.declare(payload)
            except TransientDeclarationFailure:
                if attempt == self.attempts:
                    raise
                await asyncio.sleep(self.base_delay * 2 ** (attempt - 1))
        raise AssertionError("unreachable")
