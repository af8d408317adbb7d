"""/v1/employer_structures: register an employer structure, list the directory, read one, change its status,
erase one of its contacts.

Employer structures are the associations (GDC) and other employers whose payroll the back-office runs. The
SIRET, VAT number, RNA, e-mails and phones are checked by members-svc; an invalid one is a 400 naming
the field. Contacts are natural persons (ADR 008, addendum): answers name them by id only, except the read of
one structure with `members:personal_data:read` (logged, not cached); no POST answer, which the idempotency
store keeps 7 days, carries their details.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth.dependencies import require
from gateway.clock import clock_of
from gateway.config import Settings
from gateway.inbound.employer_secrets import MembersRefused, issue_for_employer_structure
from gateway.inbound.sealing import Sealer
from gateway.routes.upstreams import ServiceUpstreams
from gateway.upstream import passed_through, query
from services.http import problem_responses
from services.internal_token import Caller
from services.pagination import Cursor, Limit, Page
from services.runtime import Resources

router = APIRouter(prefix="/v1/employer_structures", tags=["employer structures"])

Kind = Literal["association", "company", "public_body", "other"]
Status = Literal["active", "suspended", "closed"]
ETAG = {"ETag": {"description": "The structure's version, for If-Match.", "schema": {"type": "string"}}}


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid")

    street: str = Field(min_length=1, max_length=200, description="Number and street.")
    postal_code: str = Field(min_length=1, max_length=16, description="5 digits in France.")
    city: str = Field(min_length=1, max_length=100)
    country: str = Field(default="FR", min_length=2, max_length=2, description="ISO 3166-1 alpha-2.")


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=254, description="An e-mail address.")
    phone: str | None = Field(
        default=None, max_length=32, description="A French number (01 23 45 67 89) or +<country code>..."
    )
    role: str | None = Field(default=None, max_length=200, description="e.g. president, treasurer.")


class EmployerStructureRegistration(BaseModel):
    """An association or another employer whose payroll the back-office is to run."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "siret": "73282932000074",
                    "legal_name": "Les Ateliers du Spectacle",
                    "kind": "association",
                    "vat_number": "FR44732829320",
                    "rna": "W751234567",
                    "address": {"street": "12 rue des Arts", "postal_code": "75011", "city": "Paris"},
                    "contacts": [
                        {
                            "name": "Léa Garnier",
                            "email": "lea@ateliers.example",
                            "phone": "01 23 45 67 89",
                            "role": "treasurer",
                        }
                    ],
                }
            ]
        },
    )

    siret: str = Field(
        min_length=14,
        max_length=32,
        description="The establishment's SIRET, 14 digits (spaces allowed); its key is checked. "
        "A SIRET is registered once per tenant.",
    )
    legal_name: str = Field(min_length=1, max_length=200, description="The legal name (raison sociale).")
    kind: Kind
    vat_number: str | None = Field(
        default=None, max_length=32, description="French intra-community VAT number, FR + key + SIREN."
    )
    rna: str | None = Field(
        default=None, max_length=16, description="Associations only: the RNA number, W and 9 digits."
    )
    address: Address
    contacts: list[Contact] = Field(min_length=1, max_length=10)


class EmployerStatusChange(BaseModel):
    """A status change: `suspended` or `closed` need a reason; `closed` is final; `active` reinstates."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"status": "suspended", "reason": "unpaid invoices", "effective_on": "2026-12-01"}]
        },
    )

    status: Status
    reason: str | None = Field(default=None, min_length=1, max_length=500)
    effective_on: date = Field(description="The day the change takes effect (not before the registration).")


class AddressOut(BaseModel):
    street: str
    postal_code: str
    city: str
    country: str


class ContactOut(BaseModel):
    """A contact by id; name, e-mail, phone and role only in the read of one structure with
    `members:personal_data:read`, and null for good once erased."""

    id: UUID
    erased: bool = Field(description="True once erased: the fields below are then null, for good.")
    name: str | None
    email: str | None
    phone: str | None = Field(description="In international form, e.g. +33123456789.")
    role: str | None


class ContactErasure(BaseModel):
    object: Literal["contact_erasure"] = "contact_erasure"
    employer_structure_id: UUID
    contact_id: UUID
    erased: Literal[True] = True
    erased_at: datetime


class EmployerStructure(BaseModel):
    id: UUID
    object: Literal["employer_structure"] = "employer_structure"
    siret: str
    legal_name: str
    kind: Kind
    vat_number: str | None
    rna: str | None
    address: AddressOut
    contacts: list[ContactOut]
    status: Status
    status_reason: str | None
    status_since: date | None
    registered_at: datetime
    webhook_secret_issued_at: datetime | None = Field(
        default=None, description="When its inbound webhook secret was last issued (the secret is not shown)."
    )


class WebhookSecretRequest(BaseModel):
    """Issue (or rotate) the structure's inbound webhook secret; the first names the pushing API client."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"client_id": "cli_4f3c2a1b9d8e7f6a5b4c3d2e"}]}
    )

    client_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="The association's API client (scope webhooks:send) that pushes the signed messages. "
        "Required for the first secret; a rotation may leave it out.",
    )


class WebhookSecret(BaseModel):
    object: Literal["webhook_secret"] = "webhook_secret"
    employer_structure_id: UUID
    source_id: str = Field(description="The gateway's inbound source of the structure.")
    secret: str = Field(description="The `whsec_` signing secret (Standard Webhooks). Shown this once.")
    issued_at: datetime
    previous_secret_expires_at: datetime | None = Field(
        description="The previous secret stays valid until then (24 hours), so the sender can switch."
    )


@router.post(
    "",
    status_code=201,
    response_model=EmployerStructure,
    summary="Register an employer structure",
    responses={201: {"headers": ETAG}, **problem_responses(400, 401, 403, 409, 413)},
)
async def register_employer_structure(
    body: EmployerStructureRegistration,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("members:write")],
) -> Response:
    answer = await upstreams.members.call(
        "POST", "/internal/employer_structures", caller, json=body.model_dump(mode="json")
    )
    return passed_through(answer)


@router.get(
    "",
    response_model=Page[EmployerStructure],
    summary="List the employer structures",
    description="A page at a time in a stable order; filters are named after the fields "
    "(`legal_name` matches a part of the name, case-insensitive).",
    responses=problem_responses(400, 401, 403),
)
async def list_employer_structures(
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("members:read")],
    limit: Limit = 10,
    cursor: Cursor = None,
    status: Annotated[Status | None, Query()] = None,
    kind: Annotated[Kind | None, Query()] = None,
    siret: Annotated[str | None, Query(pattern=r"^[0-9]{14}$")] = None,
    # No control characters: PostgreSQL text cannot hold a NUL, and a name has none (400, not a 500).
    legal_name: Annotated[str | None, Query(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]*$")] = None,
) -> Response:
    params = query(limit=limit, cursor=cursor, status=status, kind=kind, siret=siret, legal_name=legal_name)
    answer = await upstreams.members.call("GET", "/internal/employer_structures", caller, params=params)
    return passed_through(answer)


@router.get(
    "/{employer_structure_id}",
    response_model=EmployerStructure,
    summary="Read an employer structure",
    description="With `members:personal_data:read` as well, its contacts' names, e-mails, phones and roles "
    "are shown (each such read is logged: client, tenant, time, contacts, fields, request id; the answer is "
    "`Cache-Control: no-store`); otherwise contacts are named by id only.",
    responses={200: {"headers": ETAG}, **problem_responses(400, 401, 403, 404)},
)
async def read_employer_structure(
    employer_structure_id: UUID,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("members:read")],
) -> Response:
    answer = await upstreams.members.call(
        "GET", f"/internal/employer_structures/{employer_structure_id}", caller
    )
    return passed_through(answer)


@router.patch(
    "/{employer_structure_id}",
    response_model=EmployerStructure,
    summary="Change an employer structure's status",
    description="Suspend, reinstate or close. With `If-Match` set to the ETag of a read, it applies only to "
    "that version, else 412.",
    responses={200: {"headers": ETAG}, **problem_responses(400, 401, 403, 404, 409, 412)},
)
async def change_employer_status(
    employer_structure_id: UUID,
    body: EmployerStatusChange,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("members:write")],
    if_match: Annotated[
        str | None, Header(max_length=64, description="The ETag of the version to change.")
    ] = None,
) -> Response:
    answer = await upstreams.members.call(
        "PATCH",
        f"/internal/employer_structures/{employer_structure_id}",
        caller,
        json=body.model_dump(mode="json", exclude_none=True),
        if_match=if_match,
    )
    return passed_through(answer)


@router.post(
    "/{employer_structure_id}/contacts/{contact_id}/erasure",
    response_model=ContactErasure,
    summary="Erase a contact of an employer structure",
    description="Deletes the key the contact's name, e-mail, phone and role were encrypted with "
    "(crypto-shredding): they can no longer be read anywhere, and the structure shows the contact as erased. "
    "The structure and its other contacts remain. Irreversible; a second erasure is a 409.",
    responses=problem_responses(400, 401, 403, 404, 409),
)
async def erase_employer_contact(
    employer_structure_id: UUID,
    contact_id: UUID,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("members:personal_data:erase")],
) -> Response:
    answer = await upstreams.members.call(
        "POST", f"/internal/employer_structures/{employer_structure_id}/contacts/{contact_id}/erasure", caller
    )
    return passed_through(answer)


@router.post(
    "/{employer_structure_id}/webhook_secret",
    status_code=201,
    response_model=WebhookSecret,
    summary="Issue or rotate the structure's inbound webhook secret",
    description=(
        "A new `whsec_` secret the association signs its pushes with (`POST /v1/webhooks/...`), shown in "
        "this answer only. The previous one stays valid 24 hours. Only an active structure of your tenant "
        "gets one (404, 409 `employer_structure_not_active`); suspending or closing it revokes its secrets."
    ),
    responses=problem_responses(400, 401, 403, 404, 409, 413),
)
async def issue_webhook_secret(
    employer_structure_id: UUID,
    body: WebhookSecretRequest,
    request: Request,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("webhooks:manage")],
) -> Response:
    resources: Resources = request.app.state.resources
    settings = resources.settings
    if not isinstance(settings, Settings):
        raise TypeError("the gateway runs with gateway.config.Settings")
    sealer = Sealer(settings.secrets_encryption_key.get_secret_value())
    try:
        async with resources.pool.acquire() as conn:
            issued = await issue_for_employer_structure(
                conn,
                sealer,
                upstreams.members,
                caller,
                employer_structure_id,
                client_id=body.client_id,
                now=clock_of(request.app).now(),
            )
    except MembersRefused as refused:
        return passed_through(refused.answer)
    answer = WebhookSecret(
        employer_structure_id=employer_structure_id,
        source_id=issued.source_id,
        secret=issued.secret,
        issued_at=issued.issued_at,
        previous_secret_expires_at=issued.previous_expires_at,
    )
    headers = {"Cache-Control": "no-store"}  # a secret: no cache keeps it
    return JSONResponse(answer.model_dump(mode="json"), status_code=201, headers=headers)
