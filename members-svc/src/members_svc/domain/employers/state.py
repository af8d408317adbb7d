"""What the employer structure aggregate knows, as a closed union of frozen states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from members_svc.domain.employers.events import Address

EmployerStatus = Literal["active", "suspended", "closed"]


@dataclass(frozen=True)
class NoEmployerStructure:
    """The stream is empty: no structure was registered with this SIRET in this tenant."""


@dataclass(frozen=True)
class EmployerStructure:
    """A registered structure and its status (why and since when, unless active from the start)."""

    employer_structure_id: UUID
    siret: str
    legal_name: str
    kind: str
    vat_number: str | None
    rna: str | None
    address: Address
    contact_ids: tuple[UUID, ...]  # what the contacts are is sealed in the events, never in the state
    registered_at: datetime
    status: EmployerStatus = "active"
    status_reason: str | None = None
    status_since: date | None = None
    webhook_secret_issued_at: datetime | None = None  # the last inbound webhook secret the gateway issued
    erased_contacts: frozenset[UUID] = frozenset()
    registration_id: UUID | None = None  # the request that registered it (ADR 023)


EmployerStructureState = NoEmployerStructure | EmployerStructure
