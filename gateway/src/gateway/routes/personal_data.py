"""/v1/members/{id}/personal_data and /erasure: a natural person's data, its reads' log, and its erasure.

Personal data never appears in a POST answer: the idempotency store keeps those for 7 days (ADR 008). The
data is recorded with PUT (not kept there), read with its own scope (each read logged), and erased for good.
These routes do not opt in to the read cache.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth.dependencies import require
from gateway.routes.upstreams import ServiceUpstreams
from gateway.upstream import passed_through, query
from services.http import problem_responses
from services.internal_token import Caller
from services.pagination import Cursor, Limit, Page

router = APIRouter(prefix="/v1/members", tags=["personal data"])

ETAG = {"ETag": {"description": "The member's version, for If-Match.", "schema": {"type": "string"}}}
_PRINTABLE = r"^[^\x00-\x1f]*$"


class PostalAddress(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[Annotated[str, Field(min_length=1, max_length=100, pattern=_PRINTABLE)]] = Field(
        min_length=1, max_length=3, description="Street lines, 1 to 3."
    )
    postal_code: str = Field(min_length=1, max_length=10, description="5 digits in France.")
    city: str = Field(min_length=1, max_length=100, pattern=_PRINTABLE)
    country: str = Field(default="FR", pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2.")


class PersonalDataRecord(BaseModel):
    """The whole record of a person's data: it replaces the previous one (a field left out is unknown)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "family_name": "Martin",
                    "given_names": "Camille Louise",
                    "birth_date": "1969-05-14",
                    "birth_place": "Ajaccio",
                    "nir": "269052A00417163",
                    "address": {"lines": ["12 rue des Lilas"], "postal_code": "20000", "city": "Ajaccio"},
                    "email": "camille.martin@example.org",
                    "phone": "+33 6 12 34 56 78",
                    "iban": "FR76 3000 6000 0000 0112 3456 786",
                }
            ]
        },
    )

    family_name: str | None = Field(default=None, min_length=1, max_length=100, pattern=_PRINTABLE)
    given_names: str | None = Field(default=None, min_length=1, max_length=100, pattern=_PRINTABLE)
    birth_date: date | None = Field(default=None, description="Not in the future.")
    birth_place: str | None = Field(default=None, min_length=1, max_length=100, pattern=_PRINTABLE)
    nir: str | None = Field(
        default=None,
        max_length=32,
        description="The NIR (social security number) with its key, Corsica's 2A/2B included; its birth "
        "year and month must match `birth_date` when both are given.",
    )
    address: PostalAddress | None = None
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32, description="French when without a country code.")
    iban: str | None = Field(default=None, max_length=64)


class PersonalData(BaseModel):
    """What is known of the person; after an erasure `erased` is true and every field is null."""

    id: UUID
    object: Literal["personal_data"] = "personal_data"
    erased: bool = Field(description="True once erased: every field below is then null, for good.")
    display_name: str | None = None
    family_name: str | None = None
    given_names: str | None = None
    birth_date: date | None = None
    birth_place: str | None = None
    nir: str | None = Field(default=None, description="Compact: 15 characters.")
    address: PostalAddress | None = None
    email: str | None = None
    phone: str | None = Field(default=None, description="E.164.")
    iban: str | None = Field(default=None, description="Compact, without spaces.")


class Erasure(BaseModel):
    object: Literal["erasure"] = "erasure"
    member_id: UUID
    erased: Literal[True] = True
    erased_at: datetime


class PersonalDataRead(BaseModel):
    """One read of a person's data: which client, when, which fields (never their values), which request."""

    object: Literal["personal_data_read"] = "personal_data_read"
    member_id: UUID
    client_id: str
    request_id: str | None
    fields: list[str]
    read_at: datetime


@router.put(
    "/{member_id}/personal_data",
    status_code=204,
    summary="Record a natural person's data",
    description="Each field is checked (NIR with python-stdnum, IBAN with schwifty, e-mail, phone, dates); "
    "an invalid one is a 400 naming it, and nothing is recorded. The data is stored encrypted with the "
    "person's own key. No body in the answer: read it back with `members:personal_data:read`.",
    responses={204: {"headers": ETAG}, **problem_responses(400, 401, 403, 404, 409, 412)},
)
async def record_personal_data(
    member_id: UUID,
    body: PersonalDataRecord,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("members:write")],
    if_match: Annotated[str | None, Header(max_length=64, description="The ETag of the version.")] = None,
) -> Response:
    answer = await upstreams.members.call(
        "PUT",
        f"/internal/members/{member_id}/personal_data",
        caller,
        json=body.model_dump(mode="json", exclude_none=True),
        if_match=if_match,
    )
    return passed_through(answer)


@router.get(
    "/{member_id}/personal_data",
    response_model=PersonalData,
    summary="Read a natural person's data",
    description="Needs `members:personal_data:read`; every read is logged (client, tenant, time, fields, "
    "request id). After an erasure: `erased: true` and null fields.",
    responses={200: {"headers": ETAG}, **problem_responses(400, 401, 403, 404, 409)},
)
async def read_personal_data(
    member_id: UUID,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("members:personal_data:read")],
) -> Response:
    answer = await upstreams.members.call("GET", f"/internal/members/{member_id}/personal_data", caller)
    return passed_through(answer)


@router.post(
    "/{member_id}/erasure",
    response_model=Erasure,
    summary="Erase a natural person's data",
    description="Deletes the key the person's data was encrypted with (crypto-shredding): their names, "
    "birth, NIR, address, e-mail, phone and IBAN can no longer be read anywhere, the register drops their "
    "name, and `members.PersonalDataErased` is published. Membership, shares and votes remain. Irreversible; "
    "a second erasure is a 409.",
    responses=problem_responses(400, 401, 403, 404, 409),
)
async def erase_personal_data(
    member_id: UUID,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("members:personal_data:erase")],
) -> Response:
    answer = await upstreams.members.call("POST", f"/internal/members/{member_id}/erasure", caller)
    return passed_through(answer)


@router.get(
    "/{member_id}/personal_data/reads",
    response_model=Page[PersonalDataRead],
    summary="Who read a person's data",
    description="The access log of a person's data, oldest first, a page at a time.",
    responses=problem_responses(400, 401, 403, 404),
)
async def personal_data_reads(
    member_id: UUID,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("members:personal_data:audit")],
    limit: Limit = 10,
    cursor: Cursor = None,
) -> Response:
    answer = await upstreams.members.call(
        "GET",
        f"/internal/members/{member_id}/personal_data/reads",
        caller,
        params=query(limit=limit, cursor=cursor),
    )
    return passed_through(answer)
