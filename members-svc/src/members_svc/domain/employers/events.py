"""The employer structure aggregate's private, stored events."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

EmployerKind = Literal["association", "company", "public_body", "other"]


class Address(BaseModel):
    """A postal address; `country` is ISO 3166-1 alpha-2."""

    model_config = ConfigDict(frozen=True)

    street: str
    postal_code: str
    city: str
    country: str = "FR"


class Contact(BaseModel):
    """Someone at the structure the back-office writes to (personal data: never in a public event)."""

    model_config = ConfigDict(frozen=True)

    name: str
    email: str
    phone: str | None = None
    role: str | None = None


class EmployerStructureRegistered(BaseModel):
    """An association or another employer now has its payroll run by the back-office."""

    model_config = ConfigDict(frozen=True)

    employer_structure_id: UUID
    siret: str
    legal_name: str
    kind: EmployerKind
    vat_number: str | None = None
    rna: str | None = None
    address: Address
    contacts: tuple[Contact, ...]
    registered_at: datetime


class EmployerStructureSuspended(BaseModel):
    """No new payroll or contract through the structure from `effective_on`, for `reason`."""

    model_config = ConfigDict(frozen=True)

    employer_structure_id: UUID
    reason: str
    effective_on: date
    recorded_at: datetime


class EmployerStructureReinstated(BaseModel):
    """A suspended structure is active again from `effective_on`."""

    model_config = ConfigDict(frozen=True)

    employer_structure_id: UUID
    effective_on: date
    recorded_at: datetime


class EmployerStructureClosed(BaseModel):
    """The structure no longer employs through the back-office, from `effective_on`, for `reason` (final)."""

    model_config = ConfigDict(frozen=True)

    employer_structure_id: UUID
    reason: str
    effective_on: date
    recorded_at: datetime


class WebhookSecretIssued(BaseModel):
    """The gateway issued the structure a new inbound webhook secret (the secret itself never leaves it)."""

    model_config = ConfigDict(frozen=True)

    employer_structure_id: UUID
    issued_at: datetime


EmployerStructureEvent = (
    EmployerStructureRegistered
    | EmployerStructureSuspended
    | EmployerStructureReinstated
    | EmployerStructureClosed
    | WebhookSecretIssued
)
