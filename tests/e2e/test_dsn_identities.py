"""payroll's Identities adapter against members-svc's real internal API (ADR 019): a person recorded in
members-svc is read back for the DSN (and a payee's IBAN for the payment file) with a service token, the read
lands in members' access log naming payroll and the purpose, and a member without a NIR (or an IBAN), or
unknown, cannot be declared (or paid).

members-svc runs in this process on a database of its own (ASGI transport): the adapter's HTTP call is the
one the distributed mode makes over the network (`PAYROLL_MEMBERS_URL`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
import pytest_asyncio

from members_svc.config import Settings as MembersSettings
from members_svc.entrypoints.definition import definition as members_definition
from payroll_svc.declarations.dsn import Person
from payroll_svc.integration.identities import DSN_PURPOSE, MembersIdentities, PersonUnknown
from payroll_svc.integration.payees import Payee
from services.internal_token import Caller, issue
from services.runtime import ServiceRuntime
from services.settings import DEV_INTERNAL_TOKEN_SECRET
from tests.e2e.deployments import fresh_database

TENANT = "smartfr"
NIR = "295107512611162"


@pytest_asyncio.fixture
async def members(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    async with fresh_database(database_url) as url:
        runtime = ServiceRuntime(members_definition(), MembersSettings(database_url=url))
        await runtime.start(background=False)
        try:
            transport = httpx.ASGITransport(app=runtime.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://members") as client:
                yield client, url
        finally:
            await runtime.stop()


def as_member_admin() -> dict[str, str]:
    caller = Caller(TENANT, "test-admin", frozenset({"members:write"}))
    return {"Authorization": f"Bearer {issue(DEV_INTERNAL_TOKEN_SECRET, caller, audience='members')}"}


async def a_person(client: httpx.AsyncClient, **personal_data: object) -> UUID:
    applied = await client.post(
        "/internal/members",
        json={"person_kind": "natural_person", "display_name": "Léa Garnier", "category": 1},
        headers=as_member_admin(),
    )
    assert applied.status_code == 201, applied.text
    member_id = UUID(applied.json()["id"])
    recorded = await client.put(
        f"/internal/members/{member_id}/personal_data", json=personal_data, headers=as_member_admin()
    )
    assert recorded.status_code == 204, recorded.text
    return member_id


async def test_a_person_is_read_from_members_for_the_dsn_and_the_read_is_logged_with_its_purpose(
    members: tuple[httpx.AsyncClient, str],
) -> None:
    client, url = members
    member_id = await a_person(
        client,
        family_name="Garnier",
        given_names="Léa",
        birth_date="1995-10-03",
        birth_place="Paris",
        nir=NIR,
    )
    identities = MembersIdentities(client, DEV_INTERNAL_TOKEN_SECRET)

    person = await identities.person(TENANT, member_id, DSN_PURPOSE)

    assert person == Person(NIR, "Garnier", "Léa", "02", date(1995, 10, 3), "Paris")
    conn = await asyncpg.connect(url, server_settings={"search_path": "members"})
    try:
        reads = await conn.fetch(
            "SELECT client_id, fields FROM personal_data_reads WHERE member_id = $1", member_id
        )
    finally:
        await conn.close()
    assert [(r["client_id"], "nir" in r["fields"]) for r in reads] == [("payroll-svc/dsn", True)]


async def test_a_member_without_a_nir_or_unknown_cannot_be_declared(
    members: tuple[httpx.AsyncClient, str],
) -> None:
    client, _ = members
    identities = MembersIdentities(client, DEV_INTERNAL_TOKEN_SECRET)
    no_nir = await a_person(client, family_name="Garnier", birth_date="1995-10-03")

    with pytest.raises(PersonUnknown, match="no NIR"):
        await identities.person(TENANT, no_nir, DSN_PURPOSE)
    with pytest.raises(PersonUnknown):
        await identities.person(TENANT, uuid4(), DSN_PURPOSE)


async def test_a_payee_is_read_from_members_for_the_payment_file_and_logged_with_its_purpose(
    members: tuple[httpx.AsyncClient, str],
) -> None:
    client, url = members
    iban = "FR7630006000011234567890189"
    member_id = await a_person(client, family_name="Garnier", given_names="Léa", iban=iban)
    no_iban = await a_person(client, family_name="Martin")
    payees = MembersIdentities(client, DEV_INTERNAL_TOKEN_SECRET)

    payee = await payees.payee(TENANT, member_id)

    assert payee == Payee(name="Léa Garnier", iban=iban, bic=None)
    with pytest.raises(PersonUnknown, match="no IBAN"):
        await payees.payee(TENANT, no_iban)
    conn = await asyncpg.connect(url, server_settings={"search_path": "members"})
    try:
        who = await conn.fetchval("SELECT client_id FROM personal_data_reads WHERE member_id = $1", member_id)
    finally:
        await conn.close()
    assert who == "payroll-svc/salary_payment"
