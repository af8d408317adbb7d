"""The demo population, at 1/20 of the seed's scale, loaded through the public API in each mode: afterwards
the capital table and the membership counts of every cooperative are what the generated data adds up to."""

from __future__ import annotations

from backoffice.demo import generate, load
from tests.e2e.demo_read_models import read_models_add_up
from tests.e2e.deployments import Deployment
from tests.e2e.skeleton import auth

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
        await read_models_add_up(deployment.gateway, keys[tenant], population.of(tenant), within=WITHIN)

    # The associations of the GDC service are in SmartFr's directory.
    directory = await deployment.gateway.get(
        "/v1/employer_structures?limit=100", headers=auth(keys["smartfr"])
    )
    sirets = {row["siret"] for row in directory.json()["data"]}
    assert sirets == {structure.siret for structure in population.structures}
