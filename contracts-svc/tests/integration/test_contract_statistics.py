"""The "Production de projets" statistics from a generated year of contracts, through the real handlers and
the projection runner on PostgreSQL, against figures the test sums by hand from the generated inputs.

The generator (seeded) gives members of both sexes and various ages contracts at one to five days a week,
CDDU in three sectors and CDD without a sector, some straddling the year's ends, some completed early, some
cancelled after their DPAE, some never declared, and a second tenant's contracts that must not be counted.
"""

from __future__ import annotations

import dataclasses
import random
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from member_fixtures import know

from contracts_svc.bootstrap import Contracts, build
from contracts_svc.domain import contracts
from contracts_svc.domain.contracts import Employer, Pay, WorkPeriod
from contracts_svc.domain.contracts.hire_declaration import EmployeeIdentity
from contracts_svc.integration.urssaf import FakeUrssaf, RetryingDeclarations
from contracts_svc.read_models.contract_statistics import (
    Figures,
    Statistics,
    counted_contracts,
    statistics_of,
)
from services.ids import new_event_id
from services.projection import ProjectionRunner
from services.runtime import Resources
from services.tenancy import tenant_transaction

PARIS = ZoneInfo("Europe/Paris")
YEAR_FROM, YEAR_TO = date(2026, 1, 1), date(2026, 12, 31)
FIRST_MONDAY = date(2025, 12, 1)  # weeks from December 2025 to January 2027: some straddle the year's ends
WEEKS = 60
SECTORS = ("spectacle", "enseignement", "enquetes_sondages")


@dataclasses.dataclass
class Person:
    member_id: UUID
    sex: str
    birth_date: date
    nir: str | None


@dataclasses.dataclass
class Generated:
    """One generated contract, as the test knows it: what it sums the expectation from."""

    tenant: str
    person: Person
    contract_type: str
    sector: str | None
    starts_on: date
    ends_on: date
    fate: str  # worked, completed_early, cancelled, never_declared
    work: dict[date, int]  # minutes per Paris day
    completed_on: date | None = None


def nir_of(sex: str, birth: date, rng: random.Random) -> str:
    digit = "1" if sex == "M" else "2"
    body = f"{digit}{birth.year % 100:02d}{birth.month:02d}75056{rng.randrange(1, 999):03d}"
    return f"{body}{97 - int(body) % 97:02d}"


def generate(seed: int) -> list[Generated]:
    rng = random.Random(seed)
    made: list[Generated] = []
    for tenant, people in (("smartfr", 14), ("alterna", 3)):
        for _ in range(people):
            sex = rng.choice("FM")
            birth = date(rng.randrange(1962, 2005), rng.randrange(1, 13), rng.randrange(1, 29))
            nir = nir_of(sex, birth, rng) if rng.random() < 0.5 else None
            person = Person(new_event_id(), sex, birth, nir)
            for week in sorted(rng.sample(range(WEEKS), rng.randrange(2, 8))):
                starts_on = FIRST_MONDAY + timedelta(weeks=week)
                length = rng.randrange(1, 6)  # Monday to Friday at most: 35 h a week at most, weekends free
                ends_on = starts_on + timedelta(days=length - 1)
                fate = rng.choices(
                    ("worked", "completed_early", "cancelled", "never_declared"), (14, 3, 1, 1)
                )[0]
                work: dict[date, int] = {}
                if fate in ("worked", "completed_early"):
                    for offset in range(length):
                        if rng.random() < 0.8:
                            work[starts_on + timedelta(days=offset)] = rng.randrange(12, 29) * 15  # 3-7 h
                completed_on = None
                if fate == "completed_early":
                    completed_on = max(work, default=starts_on)
                cddu = rng.random() < 0.8
                made.append(
                    Generated(
                        tenant=tenant,
                        person=person,
                        contract_type="cddu" if cddu else "cdd",
                        sector=rng.choice(SECTORS) if cddu else None,
                        starts_on=starts_on,
                        ends_on=ends_on,
                        fate=fate,
                        work=work,
                        completed_on=completed_on,
                    )
                )
    return made


def age_band_by_hand(birth: date, on: date) -> str:
    age = on.year - birth.year - (1 if (on.month, on.day) < (birth.month, birth.day) else 0)
    if age < 25:
        return "under_25"
    if age < 35:
        return "25_34"
    if age < 45:
        return "35_44"
    if age < 55:
        return "45_54"
    return "55_and_over"


def expected_statistics(made: list[Generated], tenant: str, first: date, last: date) -> Statistics:
    """Plain sums over the generated inputs: the contracts running in the period, their days and minutes."""
    rows = []
    for g in made:
        if g.tenant != tenant or g.fate in ("cancelled", "never_declared"):
            continue
        end = g.completed_on or g.ends_on
        if g.starts_on > last or end < first:
            continue
        days = [d for d in g.work if first <= d <= last]
        rows.append(
            {
                "member": g.person.member_id,
                "gender": g.person.sex,
                "age_band": age_band_by_hand(g.person.birth_date, g.starts_on),
                "sector": g.sector or "unknown",
                "days": len(days),
                "minutes": sum(g.work[d] for d in days),
            }
        )

    def figures(selected: list[dict[str, object]]) -> Figures:
        return Figures(
            contracts=len(selected),
            people=len({r["member"] for r in selected}),
            work_days=sum(int(str(r["days"])) for r in selected),
            minutes=sum(int(str(r["minutes"])) for r in selected),
        )

    def grouped(key: str) -> dict[str, Figures]:
        groups: dict[str, list[dict[str, object]]] = defaultdict(list)
        for r in rows:
            groups[str(r[key])].append(r)
        return {k: figures(v) for k, v in sorted(groups.items())}

    return Statistics(figures(rows), grouped("gender"), grouped("age_band"), grouped("sector"))


def employer_of(tenant: str) -> Employer:
    return Employer(
        employer_id=UUID(int=7 if tenant == "smartfr" else 8),
        kind="cooperative",
        legal_name=f"Coopérative {tenant}",
        siret="73282932000074",
        ape_code="90.01Z",
        street="12 rue des Arts",
        postal_code="75011",
        city="Paris",
        occupational_health_service="CMB Paris",
    )


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), PARIS).astimezone(UTC)


async def enact(service: Contracts, g: Generated, n: int) -> None:
    """The generated contract through the real command handlers, each at the clock time it would happen."""
    starts_at = at(g.starts_on, 8)
    drafted_now = starts_at - timedelta(days=3)
    _, contract = await service.draft(
        contracts.DraftContract(
            contract_id=new_event_id(),
            tenant=g.tenant,
            member_id=g.person.member_id,
            employer=employer_of(g.tenant),
            contract_type=g.contract_type,  # type: ignore[arg-type]
            job_title=f"Poste {n}",  # one post per contract: no CDD waiting period between them
            starts_at=starts_at,
            ends_on=g.ends_on,
            working_time="part_time",
            weekly_hours=Decimal(20),
            pay=Pay(basis="hourly", amount_cents=1500),
            status="non_cadre",
            now=drafted_now,
            sector=g.sector,
            reason=None if g.contract_type == "cddu" else "temporary_increase",
        ),
        tenant=g.tenant,
        correlation_id="",
    )
    contract_id = contract.contract_id
    if g.fate == "never_declared":
        return
    identity = EmployeeIdentity(
        last_name="Généré",
        first_names="Test",
        sex=g.person.sex,  # type: ignore[arg-type]
        birth_date=g.person.birth_date,
        birth_place="Paris",
        birth_department="75",
        nir=g.person.nir,
    )
    ctx = {"tenant": g.tenant, "correlation_id": ""}
    await service.declare_hire(contract_id, identity, now=starts_at - timedelta(hours=2), **ctx)  # type: ignore[arg-type]
    if g.fate == "cancelled":
        await service.handle(contracts.CancelContract(contract_id, "called off", starts_at), **ctx)  # type: ignore[arg-type]
        return
    await service.handle(contracts.SignContract(contract_id, starts_at), **ctx)  # type: ignore[arg-type]
    periods = tuple(
        WorkPeriod(starts_at=at(day, 8), ends_at=at(day, 8) + timedelta(minutes=minutes))
        for day, minutes in sorted(g.work.items())
    )
    week_after = at(g.ends_on, 20) + timedelta(days=1)
    if periods:
        await service.report_work(contract_id, periods, now=week_after, **ctx)  # type: ignore[arg-type]
    if g.completed_on is not None:
        await service.handle(contracts.CompleteContract(contract_id, g.completed_on, week_after), **ctx)  # type: ignore[arg-type]


async def read(resources: Resources, tenant: str, first: date, last: date) -> Statistics:
    # As the API reads: backoffice_app under the tenant's row-level security.
    async with tenant_transaction(resources.pool, tenant) as conn:
        return statistics_of(await counted_contracts(conn, tenant, first, last))


async def test_a_generated_year_gives_the_hand_computed_statistics(resources: Resources) -> None:
    service = dataclasses.replace(
        build(resources), declarations=RetryingDeclarations(FakeUrssaf(), base_delay=0.001)
    )
    made = generate(seed=2022)
    for person in {g.person.member_id: g for g in made}.values():
        await know(resources, person.tenant, person.person.member_id)
    for n, g in enumerate(made):
        await enact(service, g, n)
    runner = ProjectionRunner(resources.pool, [service.statistics], schema=resources.settings.db_schema)
    await runner.catch_up(service.statistics)

    expected = expected_statistics(made, "smartfr", YEAR_FROM, YEAR_TO)
    assert await read(resources, "smartfr", YEAR_FROM, YEAR_TO) == expected
    # The generator did make the edge cases the rules are about.
    fates = {g.fate for g in made}
    assert fates == {"worked", "completed_early", "cancelled", "never_declared"}
    assert expected.total.contracts > 30
    assert set(expected.by_gender) == {"F", "M"}
    assert "unknown" in expected.by_sector
    assert len(expected.by_age_band) >= 3
    straddling = [g for g in made if g.starts_on.year != g.ends_on.year and g.work]
    assert straddling, "no contract across a year's end: the generator needs another seed"

    # Another period and the other tenant, from the same rows.
    spring = (date(2026, 3, 1), date(2026, 5, 31))
    assert await read(resources, "smartfr", *spring) == expected_statistics(made, "smartfr", *spring)
    assert await read(resources, "alterna", YEAR_FROM, YEAR_TO) == expected_statistics(
        made, "alterna", YEAR_FROM, YEAR_TO
    )

    # Rebuilt from the events: the same figures (each report written once).
    await runner.rebuild(service.statistics)
    assert await read(resources, "smartfr", YEAR_FROM, YEAR_TO) == expected


async def test_the_dpae_keeps_the_gender_and_age_band_and_no_identity(resources: Resources) -> None:
    service = dataclasses.replace(
        build(resources), declarations=RetryingDeclarations(FakeUrssaf(), base_delay=0.001)
    )
    person = Person(new_event_id(), "M", date(1990, 6, 15), None)
    await know(resources, "smartfr", person.member_id)
    g = Generated("smartfr", person, "cddu", "spectacle", date(2026, 6, 15), date(2026, 6, 16), "worked", {})
    await enact(service, g, 10_000)
    async with resources.pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT data FROM events WHERE event_type = 'HireDeclared' AND data::text LIKE $1",
            f"%{person.member_id}%",
        )
    assert '"gender": "M"' in stored
    assert '"age_band": "35_44"' in stored
    assert "1990" not in stored
    assert "Généré" not in stored
