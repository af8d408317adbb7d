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
    await conn.execute(
        """INSERT INTO establishments
               (tenant, siret, legal_name, ape_code, street, postal_code, city, named_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (tenant, siret) DO UPDATE SET
               legal_name = EXCLUDED.legal_name, ape_code = EXCLUDED.ape_code, street = EXCLUDED.street,
               postal_code = EXCLUDED.postal_code, city = EXCLUDED.city, named_at = EXCLUDED.named_at
           WHERE establishments.named_at < EXCLUDED.named_at""",
        tenant,
        establishment.siret,
        establishment.legal_name,
        establishment.ape_code,
        establishment.street,
        establishment.postal_code,
        establishment.city,
        named_at,
    )
    await conn.execute(
        """INSERT INTO contract_establishments (tenant, contract_id, siret) VALUES ($1, $2, $3)
           ON CONFLICT (tenant, contract_id) DO NOTHING""",
        tenant,
        contract_id,
        establishment.siret,
    )


async def establishment(conn: Conn, tenant: str, siret: str) -> Establishment | None:
    row = await conn.fetchrow(
        "SELECT siret, legal_name, ape_code, street, postal_code, city FROM establishments"
        " WHERE tenant = $1 AND siret = $2",
        tenant,
        siret,
    )
    return Establishment(*row) if row is not None else None


async def establishment_of_contract(conn: Conn, tenant: str, contract_id: UUID) -> Establishment | None:
    row = await conn.fetchrow(
        """SELECT e.siret, e.legal_name, e.ape_code, e.street, e.postal_code, e.city
           FROM contract_establishments c JOIN establishments e USING (tenant, siret)
           WHERE c.tenant = $1 AND c.contract_id = $2""",
        tenant,
        contract_id,
    )
    return Establishment(*row) if row is not None else None
