"""Who a DSN names: the people (NIR, names, birth), behind a port.

The NIR, names and birth date are personal data kept by members-svc only (ADR 008): payroll asks for them on
each DSN build, with the purpose, and keeps nothing (ADR 019). `MembersIdentities` asks members-svc's internal
personal-data API (each read lands in its access log, the caller naming payroll and the purpose);
`FakeIdentities` stands in when members-svc is not configured (embedded mode, tests), with the real shapes (a
NIR with its key). The establishment is not personal data: it comes with the contracts (ADR 024).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol
from uuid import UUID

import httpx
from stdnum.fr import siret as siret_number

from payroll_svc.declarations.dsn import Person
from payroll_svc.integration.payees import Payee
from services.internal_token import Caller, TokenIssuer

DSN_PURPOSE = "dsn"  # the purposes reads are logged with (in the caller's client id)
SALARY_PURPOSE = "salary_payment"


class InvalidSiret(ValueError):
    pass


class PersonUnknown(LookupError):
    """members-svc has no natural person of that id with a NIR (unknown, erased, or never given)."""


class Identities(Protocol):
    async def person(self, tenant: str, member_id: UUID, purpose: str) -> Person: ...


def checked_siret(siret: str) -> str:
    if not siret_number.is_valid(siret):
        raise InvalidSiret(f"{siret!r} is not a valid SIRET (14 digits with their Luhn key)")
    return siret_number.compact(siret)


class FakeIdentities:
    """A stable test identity per member (a valid NIR: sex, birth year and month, Paris, then the key). Not
    anyone's data."""

    async def person(self, tenant: str, member_id: UUID, purpose: str) -> Person:
        n = member_id.int
        sex, year, month = 1 + n % 2, 50 + n % 50, 1 + n % 12
        body = f"{sex}{year:02d}{month:02d}75{100 + n % 900:03d}{100 + (n // 900) % 900:03d}"
        nir = f"{body}{97 - int(body) % 97:02d}"
        born = date(1900 + year, month, 1)
        return Person(nir, f"NOM{str(member_id)[:8].upper()}", "PRENOM", f"{sex:02d}", born, "PARIS")


class MembersIdentities:
    """The people from members-svc's `GET /internal/members/{id}/personal_data`, asked on each build with a
    service token whose client id names payroll and the purpose (`payroll-svc/dsn`): members-svc logs that
    read like any other."""

    SCOPE = "members:personal_data:read"

    def __init__(self, client: httpx.AsyncClient, token_secret: str) -> None:
        self._client = client
        self._tokens = TokenIssuer(token_secret, audience="members")

    async def _personal_data(self, tenant: str, member_id: UUID, purpose: str) -> dict[str, Any]:
        caller = Caller(tenant, f"payroll-svc/{purpose}", frozenset({self.SCOPE}))
        answer = await self._client.get(
            f"/internal/members/{member_id}/personal_data",
            headers={"Authorization": f"Bearer {self._tokens.token_for(caller)}"},
        )
        if answer.status_code in (404, 409, 422):
            raise PersonUnknown(f"member {member_id}: {answer.text[:200]}")
        answer.raise_for_status()
        data: dict[str, Any] = answer.json()
        return data

    async def person(self, tenant: str, member_id: UUID, purpose: str) -> Person:
        data = await self._personal_data(tenant, member_id, purpose)
        nir = data.get("nir")
        if data.get("erased") or not nir or not data.get("birth_date"):
            raise PersonUnknown(f"member {member_id}: no NIR or birth date to declare (erased, or not given)")
        return Person(
            nir=nir,
            family_name=data.get("family_name") or "",
            first_names=data.get("given_names") or "",
            sex="01" if nir.startswith(("1", "3", "7")) else "02",  # the NIR's first digit
            birth_date=date.fromisoformat(data["birth_date"]),
            birth_place=data.get("birth_place") or "",
        )

    async def payee(self, tenant: str, member_id: UUID) -> Payee:
        """Where the salary goes (the Payees port): the IBAN and the name, read for the payment file."""
        data = await self._personal_data(tenant, member_id, SALARY_PURPOSE)
        if data.get("erased") or not data.get("iban"):
            raise PersonUnknown(f"member {member_id}: no IBAN to pay (erased, or not given)")
        names = " ".join(part for part in (data.get("given_names"), data.get("family_name")) if part)
        return Payee(name=names or str(data.get("display_name") or member_id), iban=data["iban"], bic=None)
