"""The demo population, at 1/20 of the seed's scale, loaded through the public API in each mode: afterwards
the capital table and the membership counts of every cooperative are what the generated data adds up to."""

from __future__ import annotations

from collections import Counter
from typing import Any

from backoffice.demo import DemoMember, generate, load
from tests.e2e.deployments import Deployment
from tests.e2e.skeleton import auth, until

WITHIN = 60.0
TENANTS = ("smartfr", "grandsensemble", "alterna")


async def test_the_demo_population_loads_and_the_read_models_add_up_to_it(deployment: Deployment) -> None:
    # The deployments know SmartFr's nominal only: the other cooperatives' members hold no shares here.
    population = generate(seed=7, scale=1 / 20, nominals={"smartfr": 3000})
    keys = {tenant: await deployment.api_key(tenant, "members:read", "members:write") for tenant in TENANTS}
    report = await load(deployment.gateway, keys, population)
    assert report.members == {tenant: len(population.of(tenant)) for tenant in TENANTS}
    assert sum(1 for m in population.members if m.share_count) > 100  # SmartFr's members hold shares

    for tenant in TENANTS:
        await read_models_add_up(deployment, keys[tenant], population.of(tenant))

    # The associations of the GDC service are in SmartFr's directory.
    directory = await deployment.gateway.get(
        "/v1/employer_structures?limit=100", headers=auth(keys["smartfr"])
    )
    sirets = {row["siret"] for row in directory.json()["data"]}
    assert sirets == {structure.siret for structure in population.structures}


async def read_models_add_up(deployment: Deployment, key: str, members: list[DemoMember]) -> None:
    holders = [m for m in members if m.share_count > 0]
    subscribed = sum(m.subscribed_cents for m in holders)
    paid = sum(m.paid_cents for m in holders)
    want_capital = {
        "subscribed_cents": subscribed,
        "paid_cents": paid,
        "unpaid_cents": subscribed - paid,
        "members": len(holders),
    }
    want_by_category = {
        category: (
            sum(m.subscribed_cents for m in holders if m.category == category),
            sum(m.paid_cents for m in holders if m.category == category),
            sum(1 for m in holders if m.category == category),
        )
        for category in {m.category for m in holders}
    }
    want_counts = dict(Counter(m.category for m in members))

    async def read(path: str) -> dict[str, Any]:
        answer = await deployment.gateway.get(path, headers=auth(key))
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def capital_adds_up() -> bool:
        body = await read("/v1/capital")
        by_category = {
            row["category"]: (row["subscribed_cents"], row["paid_cents"], row["members"])
            for row in body["by_category"]
        }
        return {k: body[k] for k in want_capital} == want_capital and by_category == want_by_category

    async def counts_add_up() -> bool:
        body = await read("/v1/membership_counts")
        counted = {row["category"]: row["members"] for row in body["categories"] if row["members"]}
        return body["members"] == len(members) and counted == want_counts

    await until(capital_adds_up, within=WITHIN)
    await until(counts_add_up, within=WITHIN)
