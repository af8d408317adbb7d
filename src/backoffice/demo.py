"""Demo data: a population generated at the seed's scale, loaded through the public API (the command path).

The scale and the figures come from the group's 2022 activity report (../shared/seed, "Smart et ses
sociétaires" and the balance sheet): 3,658 SmartFr members (3,626 beneficiaries in categories 1-3, 19
employees in 4, 13 partners in 5-9), 151 at GrandsEnsemble (126 entrepreneurs-salariés, 8 équipe
mutualisée, 12 former employees, 5 outside partners), 11 at Alterna (9 entrepreneurs-salariés, 2 outside
partners), the 150 associations of the GDC service, SmartFr's capital of 8,412,510 EUR of which 459 kEUR
subscribed but not paid, GrandsEnsemble's 176,070 EUR and Alterna's 11,680 EUR.

What the report does not say is generated, deterministically from the seed: the split of the beneficiaries
between categories 1 and 2 (halves; category 3 is the 150 GDC associations), of the partners between 5-9,
how the capital is spread (a weight per category times a log-normal draw: the economic partners hold most of
SmartFr's), who left what unpaid, the instalments, the dates (admissions from each cooperative's creation to
the end of 2022), names and addresses. A tenant without a nominal in `nominals` gets members and no shares
(GrandsEnsemble's and Alterna's nominals are not in our sources; `DEMO_NOMINALS` assumes 10 EUR, the largest
amount both capitals are multiples of).

`generate(seed, scale)` is pure; `load(gateway, keys, population)` sends it with deterministic
Idempotency-Keys, so loading the same population twice within the keys' 7 days creates nothing more.
"""

from __future__ import annotations

import asyncio
import random
import time
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
from stdnum import luhn

# The seed's table of members by category (2022 activity report), see the module's docstring for the splits.
SEED_MEMBERS: Mapping[str, Mapping[int, int]] = {
    "smartfr": {1: 1738, 2: 1738, 3: 150, 4: 19, 5: 4, 6: 3, 7: 2, 8: 2, 9: 2},
    "grandsensemble": {1: 126, 2: 8, 3: 12, 4: 5},
    "alterna": {1: 9, 4: 2},
}
SEED_CAPITAL_CENTS: Mapping[str, int] = {
    "smartfr": 841_251_000,
    "grandsensemble": 17_607_000,
    "alterna": 1_168_000,
}
SEED_UNPAID_CENTS: Mapping[str, int] = {"smartfr": 45_900_000}  # "459 k€ capital non versé"
SEED_ASSOCIATIONS = 150  # the GDC service's associations, employer structures of SmartFr
FOUNDED: Mapping[str, date] = {  # the report: SCIC in 2012, GrandsEnsemble since 2006; Alterna assumed 2015
    "smartfr": date(2012, 1, 1),
    "grandsensemble": date(2006, 1, 1),
    "alterna": date(2015, 1, 1),
}
AS_OF = date(2022, 12, 31)
# SmartFr's nominal is DOMAIN.md's (30 EUR); the CAEs' is the assumption above.
DEMO_NOMINALS: Mapping[str, int] = {"smartfr": 3000, "grandsensemble": 1000, "alterna": 1000}
# Relative weight of a member's holding by category (an assumption: partners, above all economic ones, hold
# most of SmartFr's capital; in the CAEs the entrepreneurs hold more than the outside partners).
HOLDING_WEIGHT: Mapping[str, Mapping[int, float]] = {
    "smartfr": {1: 1, 2: 1, 3: 2, 4: 3, 5: 150, 6: 150, 7: 150, 8: 150, 9: 6000},
    "grandsensemble": {1: 1, 2: 1.5, 3: 1, 4: 3},
    "alterna": {1: 1, 4: 3},
}
LEGAL_ENTITY_CATEGORIES: Mapping[str, frozenset[int]] = {
    "smartfr": frozenset({3, 5, 6, 7, 8, 9}),
    "grandsensemble": frozenset({4}),
    "alterna": frozenset({4}),
}

FIRST_NAMES = (
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Jade",
    "Louise",
    "Emma",
    "Alice",
    "Lina",
    "Sarah",
    "Zoé",
    "Nina",
    "Rose",
    "Anna",
    "Jeanne",
    "Lucie",
    "Clara",
    "Hugo",
    "Lucas",
    "Louis",
    "Gabriel",
    "Arthur",
    "Jules",
    "Adam",
    "Raphaël",
    "Paul",
    "Nathan",
    "Léo",
    "Tom",
    "Théo",
    "Noé",
    "Sacha",
    "Malo",
    "Yanis",
    "Karim",
)
LAST_NAMES = (
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefebvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Muller",
    "Lefèvre",
    "Faure",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Perrin",
    "Robin",
    "Clément",
    "Morin",
    "Nicolas",
)
COMPANY_WORDS = (
    "Ateliers",
    "Compagnie",
    "Collectif",
    "Théâtre",
    "Ensemble",
    "Studio",
    "Fabrique",
    "Scène",
    "Maison",
    "Orchestre",
    "Cirque",
    "Danse",
    "Ondes",
    "Lumières",
    "Tréteaux",
    "Marionnettes",
    "Chantier",
    "Atelier",
    "Regards",
    "Voix",
)
COMPANY_SUFFIXES = (
    "du Nord",
    "des Possibles",
    "de la Lune",
    "du Vent",
    "des Arts",
    "en Marche",
    "du Sud",
    "des Villes",
    "du Fleuve",
    "de Traverse",
    "des Mondes",
    "du Quai",
    "de l'Aube",
    "des Rives",
    "du Pont",
)
CITIES = (
    ("Paris", "75011"),
    ("Lyon", "69003"),
    ("Marseille", "13001"),
    ("Lille", "59000"),
    ("Nantes", "44000"),
    ("Toulouse", "31000"),
    ("Strasbourg", "67000"),
    ("Bordeaux", "33000"),
    ("Rennes", "35000"),
    ("Arras", "62000"),
    ("Amiens", "80000"),
    ("Montpellier", "34000"),
)
STREETS = (
    "rue des Arts",
    "avenue de la République",
    "rue Victor Hugo",
    "boulevard Voltaire",
    "quai de Seine",
)
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f0d5c1e-3b7a-4c2d-9e8f-0a1b2c3d4e5f")


@dataclass(frozen=True)
class DemoMember:
    tenant: str
    number: int  # its place in the tenant's population: the idempotency keys are made from it
    person_kind: str
    display_name: str
    category: int
    admitted_on: date
    share_count: int
    nominal_cents: int
    payments: tuple[tuple[int, date], ...]  # (cents, paid_on)

    @property
    def subscribed_cents(self) -> int:
        return self.share_count * self.nominal_cents

    @property
    def paid_cents(self) -> int:
        return sum(cents for cents, _ in self.payments)


@dataclass(frozen=True)
class DemoStructure:
    tenant: str
    number: int
    siret: str
    legal_name: str
    city: str
    postal_code: str
    street: str
    contact_name: str
    contact_email: str


@dataclass(frozen=True)
class Population:
    seed: int
    scale: float
    members: tuple[DemoMember, ...]
    structures: tuple[DemoStructure, ...]

    def of(self, tenant: str) -> list[DemoMember]:
        return [member for member in self.members if member.tenant == tenant]


def _scaled(count: int, scale: float) -> int:
    return 0 if count == 0 else max(1, round(count * scale))


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "")


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _organisation(rng: random.Random, number: int) -> str:
    return f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_SUFFIXES)} {number}"


def _siret(rng: random.Random, taken: set[str]) -> str:
    """A SIRET whose SIREN and SIRET keys (Luhn) are valid, not already used."""
    while True:
        siren_body = f"{rng.randrange(10_000_000, 99_999_999)}"
        siren = siren_body + luhn.calc_check_digit(siren_body)
        body = f"{siren}{rng.randrange(1, 9999):04d}"
        siret = body + luhn.calc_check_digit(body)
        if siret not in taken:
            taken.add(siret)
            return siret


def _holdings(rng: random.Random, weights: list[float], total_shares: int) -> list[int]:
    """Share counts proportional to `weights`, at least one each, summing to `total_shares` when it allows."""
    whole = sum(weights)
    counts = [max(1, int(total_shares * w / whole)) for w in weights]
    largest = max(range(len(counts)), key=counts.__getitem__)
    counts[largest] = max(1, counts[largest] + total_shares - sum(counts))
    return counts


def _instalments(rng: random.Random, paid: int, first_day: date) -> tuple[tuple[int, date], ...]:
    if paid == 0:
        return ()
    parts = min(rng.choice((1, 1, 1, 2, 3)), paid)
    cuts = sorted(rng.sample(range(1, paid), parts - 1)) if parts > 1 else []
    bounds = [0, *cuts, paid]
    days = [min(AS_OF, first_day + timedelta(days=30 * n + rng.randrange(0, 20))) for n in range(parts)]
    return tuple((bounds[n + 1] - bounds[n], days[n]) for n in range(parts))


def generate(seed: int = 2022, scale: float = 1.0, nominals: Mapping[str, int] = DEMO_NOMINALS) -> Population:
    """The population at `scale` of the seed's (1.0: 3,658 + 151 + 11 members, 150 associations)."""
    rng = random.Random(seed)
    members: list[DemoMember] = []
    taken: set[str] = set()
    structures = [_structure(rng, number, taken) for number in range(_scaled(SEED_ASSOCIATIONS, scale))]
    for tenant, table in SEED_MEMBERS.items():
        categories = [c for c, count in table.items() for _ in range(_scaled(count, scale))]
        nominal = nominals.get(tenant)
        weights = [HOLDING_WEIGHT[tenant][c] * rng.lognormvariate(0, 1) for c in categories]
        shares = (
            _holdings(rng, weights, round(SEED_CAPITAL_CENTS[tenant] * scale / nominal))
            if nominal
            else [0] * len(categories)
        )
        unpaid = _unpaid(rng, shares, nominal or 0, round(SEED_UNPAID_CENTS.get(tenant, 0) * scale))
        span = (AS_OF - FOUNDED[tenant]).days
        gdc = iter(structures) if tenant == "smartfr" else iter(())
        for number, category in enumerate(categories):
            admitted_on = FOUNDED[tenant] + timedelta(days=rng.randrange(span))
            legal = category in LEGAL_ENTITY_CATEGORIES[tenant]
            association = next(gdc, None) if category == 3 else None
            name = (
                association.legal_name
                if association is not None
                else _organisation(rng, number)
                if legal
                else _person(rng)
            )
            subscribed = shares[number] * (nominal or 0)
            members.append(
                DemoMember(
                    tenant=tenant,
                    number=number,
                    person_kind="legal_entity" if legal else "natural_person",
                    display_name=name,
                    category=category,
                    admitted_on=admitted_on,
                    share_count=shares[number],
                    nominal_cents=nominal or 0,
                    payments=_instalments(rng, subscribed - unpaid[number], admitted_on),
                )
            )
    return Population(seed=seed, scale=scale, members=tuple(members), structures=tuple(structures))


def _unpaid(rng: random.Random, shares: list[int], nominal: int, target: int) -> list[int]:
    """Who leaves what unpaid, members drawn in random order, until the seed's unpaid capital is reached."""
    unpaid = [0] * len(shares)
    order = list(range(len(shares)))
    rng.shuffle(order)
    left = target
    for n in order:
        if left <= 0:
            break
        if shares[n] == 0:
            continue
        unpaid[n] = min(left, rng.randint(1, shares[n]) * nominal)
        left -= unpaid[n]
    return unpaid


def _structure(rng: random.Random, number: int, taken: set[str]) -> DemoStructure:
    city, postal_code = rng.choice(CITIES)
    contact = _person(rng)
    first, last = contact.split(" ", 1)
    return DemoStructure(
        tenant="smartfr",
        number=number,
        siret=_siret(rng, taken),
        legal_name=f"Association {_organisation(rng, number)}",
        city=city,
        postal_code=postal_code,
        street=f"{rng.randrange(1, 120)} {rng.choice(STREETS)}",
        contact_name=contact,
        contact_email=f"{_ascii(first)}.{_ascii(last)}@assoc{number}.example",
    )


# ---- loading through the API -------------------------------------------------------------


class DemoLoadError(RuntimeError):
    """The API refused a demo command: the demo data and the rules disagree."""


@dataclass
class LoadReport:
    seconds: float = 0.0
    requests: int = 0
    members: dict[str, int] = field(default_factory=dict)
    structures: int = 0


class _Sender:
    def __init__(self, gateway: httpx.AsyncClient, keys: Mapping[str, str], population: Population) -> None:
        self.gateway = gateway
        self.keys = keys
        self.prefix = f"demo/{population.seed}/{population.scale}"
        self.report = LoadReport()

    async def post(self, tenant: str, path: str, body: dict[str, Any], *, key: str) -> dict[str, Any]:
        idempotency = uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{self.prefix}/{tenant}/{key}")
        headers = {"Authorization": f"Bearer {self.keys[tenant]}", "Idempotency-Key": str(idempotency)}
        answer = await self.gateway.post(path, json=body, headers=headers)
        self.report.requests += 1
        if answer.status_code not in (200, 201):
            raise DemoLoadError(f"{tenant} POST {path}: {answer.status_code} {answer.text}")
        found: dict[str, Any] = answer.json()
        return found


async def load(
    gateway: httpx.AsyncClient, keys: Mapping[str, str], population: Population, *, concurrency: int = 8
) -> LoadReport:
    """Send the population through the gateway: each member applies, is admitted, subscribes and pays; the
    associations are registered. `keys` are API keys per tenant with members:write."""
    sender = _Sender(gateway, keys, population)
    started = time.perf_counter()
    slots = asyncio.Semaphore(concurrency)

    async def one_member(member: DemoMember) -> None:
        async with slots:
            await _send_member(sender, member)

    async def one_structure(structure: DemoStructure) -> None:
        async with slots:
            await _send_structure(sender, structure)

    await asyncio.gather(
        *(one_member(m) for m in population.members), *(one_structure(s) for s in population.structures)
    )
    sender.report.seconds = time.perf_counter() - started
    for member in population.members:
        sender.report.members[member.tenant] = sender.report.members.get(member.tenant, 0) + 1
    sender.report.structures = len(population.structures)
    return sender.report


async def _send_member(sender: _Sender, member: DemoMember) -> None:
    tenant, key = member.tenant, f"member/{member.number}"
    application = {
        "person_kind": member.person_kind,
        "display_name": member.display_name,
        "category": member.category,
    }
    applied = await sender.post(tenant, "/v1/members", application, key=f"{key}/apply")
    path = f"/v1/members/{applied['id']}"
    decision = {"decided_by": "board", "admitted_on": member.admitted_on.isoformat()}
    await sender.post(tenant, f"{path}/admission", decision, key=f"{key}/admit")
    if member.share_count == 0:
        return
    subscription = {"share_count": member.share_count, "subscribed_on": member.admitted_on.isoformat()}
    await sender.post(tenant, f"{path}/share_subscriptions", subscription, key=f"{key}/subscribe")
    for n, (cents, paid_on) in enumerate(member.payments):
        payment = {"amount_cents": cents, "paid_on": paid_on.isoformat()}
        await sender.post(tenant, f"{path}/share_payments", payment, key=f"{key}/pay/{n}")


async def _send_structure(sender: _Sender, structure: DemoStructure) -> None:
    registration = {
        "siret": structure.siret,
        "legal_name": structure.legal_name,
        "kind": "association",
        "address": {"street": structure.street, "postal_code": structure.postal_code, "city": structure.city},
        "contacts": [{"name": structure.contact_name, "email": structure.contact_email, "role": "president"}],
    }
    await sender.post(
        structure.tenant, "/v1/employer_structures", registration, key=f"structure/{structure.number}"
    )
