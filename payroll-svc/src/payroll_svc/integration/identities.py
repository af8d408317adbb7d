"""Who a DSN names: the people (NIR, names, birth) and the declared establishment, behind a port.

The NIR, names and birth date are personal data kept by members-svc only (ADR 008): payroll asks for them on
each DSN build, with the purpose, and keeps nothing (ADR 019). The adapter that asks members-svc's internal
personal-data API is not written yet: `FakeIdentities` stands in, with the real shapes (a NIR with its key,
an establishment by SIRET), as `FakePayees` does for the bank details.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol
from uuid import UUID

from stdnum.fr import siret as siret_number

from payroll_svc.declarations.dsn import Company, Establishment, Person

DSN_PURPOSE = "dsn"  # the purpose each read is logged with


class InvalidSiret(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class DeclaredEstablishment:
    company: Company
    establishment: Establishment
    employer_ids: frozenset[UUID] | None  # the employers it declares for; None: every employer of the tenant


class Identities(Protocol):
    def person(self, tenant: str, member_id: UUID, purpose: str) -> Person: ...

    def establishment(self, tenant: str, siret: str) -> DeclaredEstablishment: ...


def checked_siret(siret: str) -> str:
    if not siret_number.is_valid(siret):
        raise InvalidSiret(f"{siret!r} is not a valid SIRET (14 digits with their Luhn key)")
    return siret_number.compact(siret)


class FakeIdentities:
    """A stable test identity per member (a valid NIR: sex, birth year and month, Paris, then the key) and one
    establishment per SIRET declaring for every employer of the tenant. Not anyone's data."""

    def person(self, tenant: str, member_id: UUID, purpose: str) -> Person:
        n = member_id.int
        sex, year, month = 1 + n % 2, 50 + n % 50, 1 + n % 12
        body = f"{sex}{year:02d}{month:02d}75{100 + n % 900:03d}{100 + (n // 900) % 900:03d}"
        nir = f"{body}{97 - int(body) % 97:02d}"
        born = date(1900 + year, month, 1)
        return Person(nir, f"NOM{str(member_id)[:8].upper()}", "PRENOM", f"{sex:02d}", born, "PARIS")

    def establishment(self, tenant: str, siret: str) -> DeclaredEstablishment:
        siren, nic = siret[:9], siret[9:]
        return DeclaredEstablishment(
            company=Company(siren, nic, "9001Z", "12 rue des Arts", "75011", "PARIS"),
            establishment=Establishment(nic, "9001Z", "12 rue des Arts", "75011", "PARIS", 50),
            employer_ids=None,
        )
