"""The employer structure aggregate's private, stored events."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID, uuid5

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
    """Someone at the structure the back-office writes to: personal data of a natural person (ADR 008,
    addendum). Only commands and events written before the addendum carry it in clear; events since carry a
    `SealedContact`."""

    model_config = ConfigDict(frozen=True)

    name: str
    email: str
    phone: str | None = None
    role: str | None = None


class SealedContact(BaseModel):
    """A contact's name, e-mail, phone and role, sealed with the contact's own data key (AES-256-GCM)."""

    model_config = ConfigDict(frozen=True)

    contact_id: UUID
    sealed: str


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
    contacts: tuple[Contact, ...] = ()  # in clear: only in events written before the addendum to ADR 008
    sealed_contacts: tuple[SealedContact, ...] = ()
    registered_at: datetime
    registration_id: UUID | None = None  # the request's (ADR 023); None in the events recorded before

    def contact_ids(self) -> tuple[UUID, ...]:
        """Sealed contacts by their id; a clear contact of an older event by the id derived from its rank."""
        legacy = tuple(legacy_contact_id(self.employer_structure_id, n) for n in range(len(self.contacts)))
        return legacy + tuple(contact.contact_id for contact in self.sealed_contacts)


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


class EmployerContactErased(BaseModel):
    """The contact's key is deleted (crypto-shredding): what the events sealed of them can never be read."""

    model_config = ConfigDict(frozen=True)

    employer_structure_id: UUID
    contact_id: UUID
    erased_at: datetime


def legacy_contact_id(employer_structure_id: UUID, rank: int) -> UUID:
    """The id of the `rank`-th clear contact of an event from before contacts had ids (stable on replay)."""
    return uuid5(employer_structure_id, f"contact/{rank}")


EmployerStructureEvent = (
    EmployerStructureRegistered
    | EmployerStructureSuspended
    | EmployerStructureReinstated
    | EmployerStructureClosed
    | WebhookSecretIssued
    | EmployerContactErased
)
