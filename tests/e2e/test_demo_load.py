"""The demo population, at 1/20 of the seed's scale, loaded through the public API in each mode: afterwards
the capital table and the membership counts of every cooperative have grown by what the generated data adds
up to (the distributed deployment serves other tests too: what they made is the baseline)."""

from __future__ import annotations

from backoffice.demo import generate, load
from tests.e2e.demo_read_models import read_models, read_models_add_up
from tests.e2e.deployments import Deployment
from tests.e2e.skeleton import auth

WITHIN = 60.0
TENANTS = ("smartfr", "grandsensemble", "alterna")


async def test_the_demo_population_loads_and_the_read_models_add_up_to_it(deployment: Deployment) -> None:
    # The deployments know SmartFr's nominal only: the other cooperatives' members hold no shares here.
    population = generate(seed=7, scale=1 / 20, nominals={"smartfr": 3000})
    keys = {tenant: await deployment.api_key(tenant, "members:read", "members:write") for tenant in TENANTS}
    before = {tenant: await read_models(deployment.gateway, keys[tenant]) for tenant in TENANTS}
    report = await load(deployment.gateway, keys, population)
    assert report.members == {tenant: len(population.of(tenant)) for tenant in TENANTS}
    assert sum(1 for m in population.members if m.share_count) > 100  # SmartFr's members hold shares

    for tenant in TENANTS:
        await read_models_add_up(
            deployment.gateway, keys[tenant], population.of(tenant), within=WITHIN, before=before[tenant]
        )

    # The associations of the GDC service are in SmartFr's directory.
    for structure in population.structures:
        found = await deployment.gateway.get(
            "/v1/employer_structures", params={"siret": structure.siret}, headers=auth(keys["smartfr"])
        )
        assert found.status_code == 200, found.text
        assert [row["legal_name"] for row in found.json()["data"]] == [structure.legal_name]
