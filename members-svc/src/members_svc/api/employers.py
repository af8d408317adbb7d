"""Employer structures: register, list, read, change status, erase a contact (internal API, gateway only).

Contacts are natural persons (ADR 008, addendum): every answer names them by id only, except the read of one
structure by a caller with the personal data scope, which opens them and is logged. The gateway keeps POST
answers 7 days, so none carries a contact's name, e-mail, phone or role.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from members_svc.bootstrap_employers import CONTACT_FIELDS, EmployerStructures, opened_contacts
from members_svc.domain.employers import (
    Address,
    CloseEmployerStructure,
    Contact,
    ContactSealer,
    EmployerStructure,
    EmployerStructureCommand,
    EraseEmployerContact,
    RecordWebhookSecretIssued,
    RegisterEmployerStructure,
    ReinstateEmployerStructure,
    SuspendEmployerStructure,
    employer_structure_id,
)
from members_svc.domain.employers.rules import (
    ContactAlreadyErased,
    EmployerStructureAlreadyRegistered,
    EmployerStructureNotActive,
    InvalidEmployerField,
    StatusChangeRefused,
    UnknownEmployerContact,
    UnknownEmployerStructure,
)
from members_svc.read_models.employer_directory import (
    EmployerFilter,
    ListedEmployerStructure,
    find_employer_structure,
    list_employer_structures,
    record_contacts_read,
)
from services.caller import CurrentCaller, require_scope
from services.eventstore.errors import ConcurrencyConflict
from services.http import Problem, ProblemMapper, current_request_id
from services.http.preconditions import etag, expected_version, precondition
from services.internal_token import Caller
from services.pagination import Cursor, Limit, Page, page_of, uuid_after
from services.request_keys import CurrentRequestKey, id_for
from services.tenancy import tenant_transaction

router = APIRouter(prefix="/internal")

CONTACTS_READ_SCOPE = "members:personal_data:read"  # the scope of members' personal data (ADR 008)
CONTACTS_ERASE_SCOPE = "members:personal_data:erase"

Kind = Literal["association", "company", "public_body", "other"]
Status = Literal["active", "suspended", "closed"]


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    street: str = Field(max_length=200)
    postal_code: str = Field(max_length=16)
    city: str = Field(max_length=100)
    country: str = Field(default="FR", max_length=2)


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    role: str | None = Field(default=None, max_length=200)


class EmployerStructureRegistration(BaseModel):
    """Identifiers are checked by the domain (SIRET and VAT keys, RNA format), each error naming its field."""

    model_config = ConfigDict(extra="forbid")

    siret: str = Field(max_length=32)
    legal_name: str = Field(max_length=200)
    kind: Kind
    vat_number: str | None = Field(default=None, max_length=32)
    rna: str | None = Field(default=None, max_length=16)
    address: AddressIn
    contacts: list[ContactIn] = Field(max_length=10)


class EmployerStatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status
    reason: str | None = Field(default=None, max_length=500)
    effective_on: date


class AddressOut(BaseModel):
    street: str
    postal_code: str
    city: str
    country: str


class ContactOut(BaseModel):
    """The personal fields are null unless read with the personal data scope, and once erased."""

    id: UUID
    erased: bool = False
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    role: str | None = None


class ContactErasure(BaseModel):
    object: Literal["contact_erasure"] = "contact_erasure"
    employer_structure_id: UUID
    contact_id: UUID
    erased: Literal[True] = True
    erased_at: datetime


class EmployerStructureOut(BaseModel):
    id: UUID
    object: Literal["employer_structure"] = "employer_structure"
    siret: str
    legal_name: str
    kind: str
    vat_number: str | None
    rna: str | None
    address: AddressOut
    contacts: list[ContactOut]
    status: str
    status_reason: str | None
    status_since: date | None
    registered_at: datetime
    webhook_secret_issued_at: datetime | None = None


def _employers(request: Request) -> EmployerStructures:
    return EmployerStructures(resources=request.app.state.resources)


async def _employers_dep(request: Request) -> EmployerStructures:  # async: no worker-thread hop
    return _employers(request)


EmployersDep = Annotated[EmployerStructures, Depends(_employers_dep)]


def _from_state(state: EmployerStructure) -> EmployerStructureOut:
    return EmployerStructureOut(
        id=state.employer_structure_id,
        siret=state.siret,
        legal_name=state.legal_name,
        kind=state.kind,
        vat_number=state.vat_number,
        rna=state.rna,
        address=AddressOut(**state.address.model_dump()),
        contacts=[ContactOut(id=c, erased=c in state.erased_contacts) for c in state.contact_ids],
        status=state.status,
        status_reason=state.status_reason,
        status_since=state.status_since,
        registered_at=state.registered_at,
        webhook_secret_issued_at=state.webhook_secret_issued_at,
    )


def _from_directory(
    found: ListedEmployerStructure, opened: list[dict[str, Any]] | None = None
) -> EmployerStructureOut:
    """`opened`: the contacts opened for a caller with the personal data scope; else named by id only."""
    if opened is None:
        contacts = [ContactOut(id=e["id"], erased=bool(e.get("erased"))) for e in found.contacts]
    else:
        contacts = [ContactOut(**contact) for contact in opened]
    return EmployerStructureOut(
        id=found.employer_structure_id,
        siret=found.siret,
        legal_name=found.legal_name,
        kind=found.kind,
        vat_number=found.vat_number,
        rna=found.rna,
        address=AddressOut(**found.address),
        contacts=contacts,
        status=found.status,
        status_reason=found.status_reason,
        status_since=found.status_since,
        registered_at=found.registered_at,
        webhook_secret_issued_at=found.webhook_secret_issued_at,
    )


@router.post("/employer_structures", status_code=201)
async def register_employer_structure(
    body: EmployerStructureRegistration,
    caller: CurrentCaller,
    employers: EmployersDep,
    response: Response,
    request_key: CurrentRequestKey,
) -> EmployerStructureOut:
    require_scope(caller, "members:write")
    structure_id = employer_structure_id(caller.tenant, body.siret)
    contacts = tuple(Contact(**contact.model_dump()) for contact in body.contacts)

    def register(seal: ContactSealer) -> RegisterEmployerStructure:
        return RegisterEmployerStructure(
            employer_structure_id=structure_id,
            siret=body.siret,
            legal_name=body.legal_name,
            kind=body.kind,
            vat_number=body.vat_number,
            rna=body.rna,
            address=Address(**body.address.model_dump()),
            contacts=contacts,
            contact_ids=tuple(id_for(request_key, f"employer contact {n}") for n in range(len(contacts))),
            seal=seal,
            now=datetime.now(UTC),
            registration_id=id_for(request_key, "employer structure registration"),
        )

    try:
        version, state = await employers.register(
            register, tenant=caller.tenant, correlation_id=current_request_id() or ""
        )
    except ConcurrencyConflict as conflict:  # registered at the same moment under the same SIRET
        detail = "an employer structure with this SIRET is already registered"
        raise Problem(
            409, "employer_structure_already_registered", detail=detail, param="siret"
        ) from conflict
    response.headers["ETag"] = etag(version)
    response.headers["Location"] = f"/v1/employer_structures/{state.employer_structure_id}"
    return _from_state(state)


@router.get("/employer_structures/{structure_id}")
async def read_employer_structure(
    structure_id: UUID, caller: CurrentCaller, employers: EmployersDep, response: Response
) -> EmployerStructureOut:
    require_scope(caller, "members:read")
    if caller.may(CONTACTS_READ_SCOPE):
        return await _read_with_contacts(structure_id, caller, employers, response)
    async with tenant_transaction(employers.resources.pool, caller.tenant) as conn:
        found = await find_employer_structure(conn, caller.tenant, structure_id)
    if found is None:
        raise Problem(404, "employer_structure_not_found", detail=f"no employer structure {structure_id}")
    response.headers["ETag"] = etag(found.version)
    return _from_directory(found)


async def _read_with_contacts(
    structure_id: UUID, caller: Caller, employers: EmployerStructures, response: Response
) -> EmployerStructureOut:
    """The contacts opened with their keys, the read logged in its transaction (ADR 008)."""
    async with employers.resources.pool.acquire() as conn, conn.transaction():
        found = await find_employer_structure(conn, caller.tenant, structure_id)
        if found is None:
            raise Problem(404, "employer_structure_not_found", detail=f"no employer structure {structure_id}")
        keys = await employers.contact_keys.of_structure(conn, caller.tenant, structure_id)
        opened = opened_contacts(found.contacts, keys)
        shown = [c for c in opened if not c["erased"]]
        if shown:
            await record_contacts_read(
                conn,
                tenant=caller.tenant,
                employer_structure_id=structure_id,
                contact_ids=[c["id"] for c in shown],
                client_id=caller.client_id,
                request_id=current_request_id(),
                fields=[f for f in CONTACT_FIELDS if any(c[f] is not None for c in shown)],
                read_at=datetime.now(UTC),
            )
    response.headers["ETag"] = etag(found.version)
    response.headers["Cache-Control"] = "no-store"  # no cache keeps a person's data (ADR 007, 008)
    return _from_directory(found, opened)


@router.get("/employer_structures")
async def list_directory(
    caller: CurrentCaller,
    employers: EmployersDep,
    limit: Limit = 10,
    cursor: Cursor = None,
    status: Annotated[Status | None, Query()] = None,
    kind: Annotated[Kind | None, Query()] = None,
    siret: Annotated[str | None, Query(pattern=r"^[0-9]{14}$")] = None,
    # No control characters: PostgreSQL text cannot hold a NUL, and a name has none (400, not a 500).
    legal_name: Annotated[str | None, Query(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]*$")] = None,
) -> Page[EmployerStructureOut]:
    require_scope(caller, "members:read")
    filters = EmployerFilter(status=status, kind=kind, siret=siret, legal_name=legal_name)
    async with tenant_transaction(employers.resources.pool, caller.tenant) as conn:
        found = await list_employer_structures(
            conn, caller.tenant, filters, after=uuid_after(cursor), limit=limit + 1
        )
    page, has_more, next_cursor = page_of(found, limit, lambda e: {"after": str(e.employer_structure_id)})
    return Page[EmployerStructureOut](
        data=[_from_directory(e) for e in page], has_more=has_more, next_cursor=next_cursor
    )


@router.patch("/employer_structures/{structure_id}")
async def change_employer_status(
    structure_id: UUID,
    body: EmployerStatusChange,
    caller: CurrentCaller,
    employers: EmployersDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> EmployerStructureOut:
    require_scope(caller, "members:write")
    expected = expected_version(if_match)
    command = _status_command(structure_id, body, datetime.now(UTC))
    with precondition(expected, "employer structure"):
        version, state = await employers.handle(
            command,
            tenant=caller.tenant,
            correlation_id=current_request_id() or "",
            expected_version=expected,
        )
    # The directory is a projection that may lag: answer from the aggregate the command left.
    response.headers["ETag"] = etag(version)
    return _from_state(state)


@router.get("/employer_structures/{structure_id}/webhook_secret_eligibility", status_code=204)
async def check_webhook_secret_eligibility(
    structure_id: UUID, caller: CurrentCaller, employers: EmployersDep
) -> Response:
    """204 if a secret may be issued now (from the structure's stream, not the lagging directory), else the
    refusal the issue would meet: 404 unless the tenant's, 409 unless active. Records nothing."""
    require_scope(caller, "webhooks:manage")
    command = RecordWebhookSecretIssued(structure_id, now=datetime.now(UTC))
    await employers.check(command, tenant=caller.tenant)
    return Response(status_code=204)


@router.post("/employer_structures/{structure_id}/webhook_secret_issues", status_code=201)
async def record_webhook_secret_issued(
    structure_id: UUID, caller: CurrentCaller, employers: EmployersDep, response: Response
) -> EmployerStructureOut:
    """The gateway asks before it issues a secret: 404 unless the structure is the caller's tenant's, 409
    unless it is active; otherwise the issue is recorded (without the secret) and the structure answered."""
    require_scope(caller, "webhooks:manage")
    command = RecordWebhookSecretIssued(structure_id, now=datetime.now(UTC))
    version, state = await employers.handle(
        command, tenant=caller.tenant, correlation_id=current_request_id() or ""
    )
    response.headers["ETag"] = etag(version)
    return _from_state(state)


@router.post("/employer_structures/{structure_id}/contacts/{contact_id}/erasure")
async def erase_employer_contact(
    structure_id: UUID, contact_id: UUID, caller: CurrentCaller, employers: EmployersDep
) -> ContactErasure:
    """Crypto-shredding of one contact: their key is deleted; the structure and its other contacts stay."""
    require_scope(caller, CONTACTS_ERASE_SCOPE)
    now = datetime.now(UTC)
    await employers.erase_contact(
        EraseEmployerContact(structure_id, contact_id, now),
        tenant=caller.tenant,
        correlation_id=current_request_id() or "",
    )
    return ContactErasure(employer_structure_id=structure_id, contact_id=contact_id, erased_at=now)


def _status_command(
    structure_id: UUID, body: EmployerStatusChange, now: datetime
) -> EmployerStructureCommand:
    if body.status == "active":
        return ReinstateEmployerStructure(structure_id, effective_on=body.effective_on, now=now)
    if body.reason is None:
        detail = f"a reason is required to make an employer structure {body.status}"
        raise Problem(400, "reason_required", detail=detail, param="body.reason")
    if body.status == "suspended":
        return SuspendEmployerStructure(
            structure_id, reason=body.reason, effective_on=body.effective_on, now=now
        )
    return CloseEmployerStructure(structure_id, reason=body.reason, effective_on=body.effective_on, now=now)


def _invalid_field(error: Exception) -> Problem:
    assert isinstance(error, InvalidEmployerField)
    return Problem(400, "invalid_employer_structure", detail=str(error), param=f"body.{error.field}")


# Registered with the service's own problem mappers (entrypoints/definition.py).
PROBLEM_MAPPERS: dict[type[Exception], ProblemMapper] = {
    InvalidEmployerField: _invalid_field,
    EmployerStructureAlreadyRegistered: lambda error: Problem(
        409, "employer_structure_already_registered", detail=str(error), param="body.siret"
    ),
    UnknownEmployerStructure: lambda error: Problem(404, "employer_structure_not_found", detail=str(error)),
    EmployerStructureNotActive: lambda error: Problem(
        409, "employer_structure_not_active", detail=str(error)
    ),
    UnknownEmployerContact: lambda error: Problem(404, "employer_contact_not_found", detail=str(error)),
    ContactAlreadyErased: lambda error: Problem(409, "employer_contact_erased", detail=str(error)),
    StatusChangeRefused: lambda error: Problem(
        409, "employer_status_change_refused", detail=str(error), param="body.status"
    ),
}
