"""Where each contract is made: the employer's establishment contracts-svc publishes with the draft.

Written in the inbox's transaction of `contracts.ContractDrafted`. The payslip document names it; the DSN of
a SIRET declares the contracts made under it and describes the establishment from it.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from schemas.generated.contracts.contract_drafted_v1 import EmployerEstablishment
from services.log_reader import Conn


class EstablishmentUnknown(LookupError):
    """No contract of the tenant was made under that SIRET: there is nothing to declare for it."""


class Establishment(NamedTuple):
    siret: str
    legal_name: str
    ape_code: str
    street: str
    postal_code: str
    city: str


async def record_contract_establishment(
    conn: Conn, tenant: str, contract_id: UUID, establishment: EmployerEstablishment, named_at: datetime
) -> None:
    """Inserts only (no row two drafts share is updated, so drafts of one SIRET never wait on each other)."""
    await conn.execute(
        """WITH naming AS (
               SELECT sha256(convert_to(concat_ws(chr(31), $4::text, $5::text, $6::text, $7::text, $8::text),
                                        'UTF8')) AS registration
           ), registered AS (
               INSERT INTO establishment_registrations
                   (tenant, siret, registration, legal_name, ape_code, street, postal_code, city)
               SELECT $1, $3, registration, $4, $5, $6, $7, $8 FROM naming
               ON CONFLICT (tenant, siret, registration) DO NOTHING
           )
           INSERT INTO contract_establishments (tenant, contract_id, siret, registration, named_at)
           SELECT $1, $2, $3, registration, $9 FROM naming
           ON CONFLICT (tenant, contract_id) DO NOTHING""",
        tenant,
        contract_id,
        establishment.siret,
        establishment.legal_name,
        establishment.ape_code,
        establishment.street,
        establishment.postal_code,
        establishment.city,
        named_at,
    )


# The establishment as the latest draft made under the SIRET named it ($1 the tenant).
_LATEST_NAMING = """
    SELECT r.siret, r.legal_name, r.ape_code, r.street, r.postal_code, r.city
    FROM contract_establishments c JOIN establishment_registrations r USING (tenant, siret, registration)
    WHERE c.tenant = $1 AND c.siret = {siret}
    ORDER BY c.named_at DESC LIMIT 1"""


async def establishment(conn: Conn, tenant: str, siret: str) -> Establishment | None:
    row = await conn.fetchrow(_LATEST_NAMING.format(siret="$2"), tenant, siret)
    return Establishment(*row) if row is not None else None


async def establishment_of_contract(conn: Conn, tenant: str, contract_id: UUID) -> Establishment | None:
    """The establishment of the contract's SIRET, as last named (by its own draft or a later one)."""
    of_contract = "(SELECT siret FROM contract_establishments WHERE tenant = $1 AND contract_id = $2)"
    row = await conn.fetchrow(_LATEST_NAMING.format(siret=of_contract), tenant, contract_id)
    return Establishment(*row) if row is not None else None
