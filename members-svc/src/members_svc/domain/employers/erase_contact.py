"""Erase one contact of an employer structure (RGPD art. 17): their key is deleted with this event.

The structure's other contacts and its history stay; erasing is allowed whatever the structure's status (a
closed structure's contacts may ask to be forgotten too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from members_svc.domain.employers.events import EmployerContactErased
from members_svc.domain.employers.rules import (
    ContactAlreadyErased,
    UnknownEmployerContact,
    UnknownEmployerStructure,
)
from members_svc.domain.employers.state import EmployerStructure, EmployerStructureState


@dataclass(frozen=True)
class EraseEmployerContact:
    employer_structure_id: UUID
    contact_id: UUID
    now: datetime


def decide_erase_contact(
    command: EraseEmployerContact, state: EmployerStructureState
) -> list[EmployerContactErased]:
    if not isinstance(state, EmployerStructure):
        raise UnknownEmployerStructure(f"no employer structure {command.employer_structure_id}")
    if command.contact_id not in state.contact_ids:
        raise UnknownEmployerContact(
            f"employer structure {command.employer_structure_id} has no contact {command.contact_id}"
        )
    if command.contact_id in state.erased_contacts:
        raise ContactAlreadyErased(f"contact {command.contact_id} is already erased")
    return [
        EmployerContactErased(
            employer_structure_id=command.employer_structure_id,
            contact_id=command.contact_id,
            erased_at=command.now,
        )
    ]
