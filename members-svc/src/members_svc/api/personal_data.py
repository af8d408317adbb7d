"""A natural person's data: record it, read it (own scope, every read logged), erase it (crypto-shredding).

Nothing here answers a POST with personal data: the gateway keeps POST answers for 7 days (ADR 008).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from members_svc.bootstrap import Members
from members_svc.domain.membership import ErasePersonalData, RecordPersonalData, stream_id
from members_svc.domain.personal_data import (
    AlreadyErased,
    InvalidPersonalData,
    NotANaturalPerson,
    PersonalData,
    PostalAddress,
    Sealer,
)
from members_svc.read_models.personal_data import reads_of, record_read
from services.caller import CurrentCaller, require_scope
from services.http import Problem, current_request_id
from services.http.preconditions import etag, expected_version, precondition
from services.pagination import Cursor, Limit, Page, decode_cursor, page_of

router = APIRouter(prefix="/internal")

READ_SCOPE = "members:personal_data:read"
ERASE_SCOPE = "members:personal_data:erase"
AUDIT_SCOPE = "members:personal_data:audit"


async def _members(request: Request) -> Members:
    members: Members = request.app.state.service
    return members


MembersDep = Annotated[Members, Depends(_members)]


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[str] = Field(min_length=1, max_length=3)
    postal_code: str = Field(min_length=1, max_length=10)
    city: str = Field(min_length=1, max_length=100)
    country: str = Field(default="FR", min_length=2, max_length=2)


class PersonalDataRecord(BaseModel):
    """The whole record: it replaces the previous one (a field left out is no longer known)."""

    model_config = ConfigDict(extra="forbid")

    family_name: str | None = Field(default=None, max_length=100)
    given_names: str | None = Field(default=None, max_length=100)
    birth_date: date | None = None
    birth_place: str | None = Field(default=None, max_length=100)
    nir: str | None = Field(default=None, max_length=32)
    address: Address | None = None
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    iban: str | None = Field(default=None, max_length=64)

    def domain(self) -> PersonalData:
        address = self.address
        return PersonalData(
            family_name=self.family_name,
            given_names=self.given_names,
            birth_date=self.birth_date,
            birth_place=self.birth_place,
            nir=self.nir,
            address=PostalAddress(tuple(address.lines), address.postal_code, address.city, address.country)
            if address
            else None,
            email=self.email,
            phone=self.phone,
            iban=self.iban,
        )


class PersonalDataView(BaseModel):
    id: UUID
    object: Literal["personal_data"] = "personal_data"
    erased: bool
    display_name: str | None = None
    family_name: str | None = None
    given_names: str | None = None
    birth_date: date | None = None
    birth_place: str | None = None
    nir: str | None = None
    address: Address | None = None
    email: str | None = None
    phone: str | None = None
    iban: str | None = None


class Erasure(BaseModel):
    object: Literal["erasure"] = "erasure"
    member_id: UUID
    erased: Literal[True] = True
    erased_at: datetime


class PersonalDataReadEntry(BaseModel):
    object: Literal["personal_data_read"] = "personal_data_read"
    member_id: UUID
    client_id: str
    request_id: str | None
    fields: list[str]
    read_at: datetime


@router.put("/members/{member_id}/personal_data", status_code=204)
async def record_personal_data(
    member_id: UUID,
    body: PersonalDataRecord,
    caller: CurrentCaller,
    members: MembersDep,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    require_scope(caller, "members:write")
    expected = expected_version(if_match)
    data = body.domain()

    def record(seal: Sealer) -> RecordPersonalData:
        return RecordPersonalData(member_id, data, now=datetime.now(UTC), seal=seal)

    with precondition(expected, "member"):
        version, _ = await members.act_sealed(
            member_id,
            record,
            tenant=caller.tenant,
            correlation_id=current_request_id() or "",
            expected_version=expected,
        )
    # No body: what was recorded is read back with the personal data scope, and that read is logged.
    return Response(status_code=204, headers={"ETag": etag(version)})


@router.get("/members/{member_id}/personal_data")
async def read_personal_data(
    member_id: UUID, caller: CurrentCaller, members: MembersDep, response: Response
) -> PersonalDataView:
    require_scope(caller, READ_SCOPE)
    async with members.resources.pool.acquire() as conn, conn.transaction():
        found = await members.personal_data(caller.tenant, member_id, conn)
        if found is None:
            raise Problem(404, "member_not_found", detail=f"no member {member_id}")
        if found.person_kind != "natural_person":
            raise NotANaturalPerson(f"member {member_id} is a legal entity: it has no personal data")
        await record_read(
            conn,
            tenant=caller.tenant,
            member_id=member_id,
            client_id=caller.client_id,
            request_id=current_request_id(),
            fields=found.fields_read(),
            read_at=datetime.now(UTC),
        )
    response.headers["ETag"] = etag(found.version)
    response.headers["Cache-Control"] = (
        "no-store"  # no cache keeps a person's data (nor the gateway's, ADR 007)
    )
    return PersonalDataView(id=member_id, erased=found.erased, **found.values)


@router.post("/members/{member_id}/erasure")
async def erase_personal_data(member_id: UUID, caller: CurrentCaller, members: MembersDep) -> Erasure:
    require_scope(caller, ERASE_SCOPE)
    now = datetime.now(UTC)
    await members.erase(
        ErasePersonalData(member_id, now), tenant=caller.tenant, correlation_id=current_request_id() or ""
    )
    return Erasure(member_id=member_id, erased_at=now)


@router.get("/members/{member_id}/personal_data/reads")
async def personal_data_reads(
    member_id: UUID, caller: CurrentCaller, members: MembersDep, limit: Limit = 10, cursor: Cursor = None
) -> Page[PersonalDataReadEntry]:
    require_scope(caller, AUDIT_SCOPE)
    after = _read_after(cursor)
    async with members.resources.pool.acquire() as conn:
        # Another tenant's member is not found, as everywhere (not even an empty log).
        if not await members.resources.store.read_stream(
            stream_id(member_id), tenant=caller.tenant, conn=conn
        ):
            raise Problem(404, "member_not_found", detail=f"no member {member_id}")
        found = await reads_of(conn, caller.tenant, member_id, after=after, limit=limit + 1)
    page, has_more, next_cursor = page_of(found, limit, lambda r: {"after": r.read_id})
    entries = [
        PersonalDataReadEntry(
            member_id=r.member_id,
            client_id=r.client_id,
            request_id=r.request_id,
            fields=r.fields,
            read_at=r.read_at,
        )
        for r in page
    ]
    return Page[PersonalDataReadEntry](data=entries, has_more=has_more, next_cursor=next_cursor)


def _read_after(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    after = decode_cursor(cursor).get("after")
    if not isinstance(after, int):
        raise Problem(400, "invalid_cursor", detail="the cursor is not one this API gave", param="cursor")
    return after


def _conflict(code: str) -> Callable[[Exception], Problem]:
    return lambda error: Problem(409, code, detail=str(error))


def _invalid(error: Exception) -> Problem:
    field = error.field if isinstance(error, InvalidPersonalData) else None
    return Problem(400, "invalid_personal_data", detail=str(error), param=field)


PROBLEM_MAPPERS: dict[type[Exception], Callable[[Exception], Problem]] = {
    InvalidPersonalData: _invalid,
    NotANaturalPerson: _conflict("not_a_natural_person"),
    AlreadyErased: _conflict("personal_data_erased"),
}
