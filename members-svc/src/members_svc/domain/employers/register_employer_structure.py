"""An association or another employer is registered so that the back-office runs its payroll.

Its contacts are natural persons: each gets an id and is sealed with their own key (ADR 008, addendum). The
decider never sees a key: the command brings a `ContactSealer` that the handler backs with the new keys.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from members_svc.domain.employers.events import (
    Address,
    Contact,
    EmployerKind,
    EmployerStructureRegistered,
    SealedContact,
)
from members_svc.domain.employers.identifiers import (
    check_rna,
    check_siret,
    check_vat_number,
    vat_matches_siret,
)
from members_svc.domain.employers.rules import (
    EmployerStructureAlreadyRegistered,
    InvalidEmployerField,
    check_address,
    check_contacts,
    check_text,
)
from members_svc.domain.employers.state import (
    EmployerStructure,
    EmployerStructureState,
    NoEmployerStructure,
)

# Turns one contact's checked fields into the opaque text events carry (AES-256-GCM with that contact's key).
ContactSealer = Callable[[UUID, Mapping[str, Any]], str]


@dataclass(frozen=True)
class RegisterEmployerStructure:
    employer_structure_id: UUID  # identifiers.employer_structure_id(tenant, siret)
    siret: str
    legal_name: str
    kind: EmployerKind
    vat_number: str | None
    rna: str | None
    address: Address
    contacts: tuple[Contact, ...]
    contact_ids: tuple[UUID, ...]  # one new id per contact, in order
    seal: ContactSealer
    now: datetime
    registration_id: UUID  # from the request's key: the same request run again names the same registration


def decide_register(
    command: RegisterEmployerStructure, state: EmployerStructureState
) -> list[EmployerStructureRegistered]:
    if isinstance(state, EmployerStructure) and state.registration_id == command.registration_id:
        return []  # recorded by an earlier run of the same request, whose answer was lost (ADR 023)
    siret = check_siret(command.siret)
    if not isinstance(state, NoEmployerStructure):
        raise EmployerStructureAlreadyRegistered(
            f"an employer structure with SIRET {siret} is already registered"
        )
    vat_number = None if command.vat_number is None else check_vat_number(command.vat_number)
    if vat_number is not None and not vat_matches_siret(vat_number, siret):
        raise InvalidEmployerField("vat_number", f"does not name the SIREN {siret[:9]} of the SIRET")
    rna = None if command.rna is None else check_rna(command.rna)
    if rna is not None and command.kind != "association":
        raise InvalidEmployerField("rna", "only an association has an RNA number")
    return [
        EmployerStructureRegistered(
            employer_structure_id=command.employer_structure_id,
            siret=siret,
            legal_name=check_text("legal_name", command.legal_name),
            kind=command.kind,
            vat_number=vat_number,
            rna=rna,
            address=check_address(command.address),
            sealed_contacts=_sealed(command),
            registered_at=command.now,
            registration_id=command.registration_id,
        )
    ]


def _sealed(command: RegisterEmployerStructure) -> tuple[SealedContact, ...]:
    contacts = check_contacts(command.contacts)
    if len(command.contact_ids) != len(contacts) or len(set(command.contact_ids)) != len(contacts):
        raise ValueError("one distinct contact id per contact")  # the handler's mistake, not the caller's
    return tuple(
        SealedContact(
            contact_id=contact_id,
            sealed=command.seal(contact_id, contact.model_dump(mode="json")),
        )
        for contact_id, contact in zip(command.contact_ids, contacts, strict=True)
    )
