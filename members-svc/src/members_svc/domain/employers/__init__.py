"""The employer structure aggregate (GDC associations and other employers whose payroll SmartFr runs)."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from members_svc.domain.employers.change_employer_status import (
    CloseEmployerStructure,
    ReinstateEmployerStructure,
    SuspendEmployerStructure,
    decide_close,
    decide_reinstate,
    decide_suspend,
)
from members_svc.domain.employers.erase_contact import EraseEmployerContact, decide_erase_contact
from members_svc.domain.employers.events import (
    Address,
    Contact,
    EmployerContactErased,
    EmployerKind,
    EmployerStructureClosed,
    EmployerStructureEvent,
    EmployerStructureRegistered,
    EmployerStructureReinstated,
    EmployerStructureSuspended,
    SealedContact,
    WebhookSecretIssued,
    legacy_contact_id,
)
from members_svc.domain.employers.identifiers import employer_structure_id
from members_svc.domain.employers.issue_webhook_secret import (
    RecordWebhookSecretIssued,
    decide_issue_secret,
)
from members_svc.domain.employers.register_employer_structure import (
    ContactSealer,
    RegisterEmployerStructure,
    decide_register,
)
from members_svc.domain.employers.state import (
    EmployerStatus,
    EmployerStructure,
    EmployerStructureState,
    NoEmployerStructure,
)

__all__ = [
    "Address",
    "CloseEmployerStructure",
    "Contact",
    "ContactSealer",
    "EmployerContactErased",
    "EmployerKind",
    "EmployerStatus",
    "EmployerStructure",
    "EmployerStructureClosed",
    "EmployerStructureCommand",
    "EmployerStructureEvent",
    "EmployerStructureRegistered",
    "EmployerStructureReinstated",
    "EmployerStructureState",
    "EmployerStructureSuspended",
    "EraseEmployerContact",
    "NoEmployerStructure",
    "RecordWebhookSecretIssued",
    "RegisterEmployerStructure",
    "ReinstateEmployerStructure",
    "SealedContact",
    "SuspendEmployerStructure",
    "WebhookSecretIssued",
    "decide",
    "employer_structure_id",
    "evolve",
    "initial_state",
    "legacy_contact_id",
    "stream_id",
]

EmployerStructureCommand = (
    RegisterEmployerStructure
    | SuspendEmployerStructure
    | ReinstateEmployerStructure
    | CloseEmployerStructure
    | RecordWebhookSecretIssued
    | EraseEmployerContact
)
initial_state: EmployerStructureState = NoEmployerStructure()


def decide(command: EmployerStructureCommand, state: EmployerStructureState) -> list[EmployerStructureEvent]:
    match command:
        case RegisterEmployerStructure():
            return list(decide_register(command, state))
        case SuspendEmployerStructure():
            return list(decide_suspend(command, state))
        case ReinstateEmployerStructure():
            return list(decide_reinstate(command, state))
        case CloseEmployerStructure():
            return list(decide_close(command, state))
        case RecordWebhookSecretIssued():
            return list(decide_issue_secret(command, state))
        case EraseEmployerContact():
            return list(decide_erase_contact(command, state))


def evolve(state: EmployerStructureState, event: EmployerStructureEvent) -> EmployerStructureState:
    match event:
        case EmployerStructureRegistered():
            return EmployerStructure(
                employer_structure_id=event.employer_structure_id,
                siret=event.siret,
                legal_name=event.legal_name,
                kind=event.kind,
                vat_number=event.vat_number,
                rna=event.rna,
                address=event.address,
                contact_ids=event.contact_ids(),
                registered_at=event.registered_at,
                registration_id=event.registration_id,
            )
        case EmployerStructureSuspended():
            if not isinstance(state, EmployerStructure):
                return state
            return replace(
                state, status="suspended", status_reason=event.reason, status_since=event.effective_on
            )
        case EmployerStructureReinstated():
            if not isinstance(state, EmployerStructure):
                return state
            return replace(state, status="active", status_reason=None, status_since=event.effective_on)
        case EmployerStructureClosed():
            if not isinstance(state, EmployerStructure):
                return state
            return replace(
                state, status="closed", status_reason=event.reason, status_since=event.effective_on
            )
        case WebhookSecretIssued():
            if not isinstance(state, EmployerStructure):
                return state
            return replace(state, webhook_secret_issued_at=event.issued_at)
        case EmployerContactErased():
            if not isinstance(state, EmployerStructure):
                return state
            return replace(state, erased_contacts=state.erased_contacts | {event.contact_id})


def stream_id(employer_structure_id: UUID) -> str:
    """`employer-<id>`, the id derived from the tenant and the SIRET (identifiers.employer_structure_id)."""
    return f"employer-{employer_structure_id}"
