"""Migration 009 on the real PostgreSQL: the establishments recorded in the one row a SIRET had (and the
contracts drafted under them) read the same once moved to the insert-only namings, and a later draft of the
same content adds no registration."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import asyncpg

from payroll_svc.entrypoints.definition import definition
from payroll_svc.read_models.establishments import (
    Establishment,
    establishment,
    establishment_of_contract,
    record_contract_establishment,
)
from schemas.generated.contracts.contract_drafted_v1 import EmployerEstablishment
from services.db import create_pool, migrate
from services.testkit.infrastructure import fresh_schema

INSERT_ONLY_NAMINGS = 9
TENANT = "smartfr"
ARTS = Establishment("73282932000074", "Coop Portage", "7022Z", "12 rue des Arts", "59000", "Lille")


async def test_the_establishments_named_before_migration_9_read_the_same_after_it(database_url: str) -> None:
    migrations = definition().migrations_to_apply()
    before = [m for m in migrations if m.source != "payroll" or m.version < INSERT_ONLY_NAMINGS]
    drafted = [uuid4(), uuid4()]
    async with fresh_schema(database_url, prefix="payroll_mig") as schema:
        conn = await asyncpg.connect(database_url)
        try:
            # Given two contracts drafted under a SIRET, recorded in the tables before migration 9
            await migrate(conn, schema, before)
            await conn.execute(
                f"INSERT INTO {schema}.establishments VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                TENANT,
                *ARTS,
                datetime(2026, 11, 2, 9, tzinfo=UTC),
            )
            for contract_id in drafted:
                await conn.execute(
                    f"INSERT INTO {schema}.contract_establishments VALUES ($1, $2, $3)",
                    TENANT,
                    contract_id,
                    ARTS.siret,
                )
            # When migration 9 runs
            assert await migrate(conn, schema, migrations) == [
                "payroll/009_establishment_namings_insert_only.sql"
            ]
        finally:
            await conn.close()

        pool = await create_pool(database_url, schema)
        try:
            async with pool.acquire() as conn:
                # Then the SIRET and each contract name the establishment as before
                assert await establishment(conn, TENANT, ARTS.siret) == ARTS
                for contract_id in drafted:
                    assert await establishment_of_contract(conn, TENANT, contract_id) == ARTS
                # And a later draft of the same content finds its registration (computed alike in SQL)
                await record_contract_establishment(
                    conn,
                    TENANT,
                    uuid4(),
                    EmployerEstablishment.model_validate(ARTS._asdict()),
                    datetime(2026, 11, 20, 9, tzinfo=UTC),
                )
                registrations = await conn.fetchval("SELECT count(*) FROM establishment_registrations")
                namings = await conn.fetchval("SELECT count(*) FROM contract_establishments")
            assert (registrations, namings) == (1, 3)
        finally:
            await pool.close()
