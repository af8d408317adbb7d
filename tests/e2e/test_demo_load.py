"""The demo population, at 1/20 of the seed's scale, loaded through the public API in each mode: afterwards
the capital table and the membership counts of every cooperative have grown by what the generated data adds
up to (the distributed deployment serves other tests too: what they made is the baseline)."""

from __future__ import annotations

from backoffice.demo import generate, load
from tests.e2e.demo_read_models import read_models, read_models_add_up
from tests.e2e.deployments import Deployment
from tests.e2e.skeleton import auth, until

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

    # The associations of the GDC service are in SmartFr's directory (a projection: the last ones registered
    # may still be on their way to it).
    for structure in population.structures:
        names = await directory_names(deployment, keys["smartfr"], structure.siret)
        assert names == [structure.legal_name]


async def directory_names(deployment: Deployment, key: str, siret: str) -> list[str]:
    """The legal names SmartFr's directory lists for `siret`, once it lists any (within WITHIN)."""
    names: list[str] = []

    async def listed() -> bool:
        found = await deployment.gateway.get(
            "/v1/employer_structures", params={"siret": siret}, headers=auth(key)
        )
        assert found.status_code == 200, found.text
        names[:] = [row["legal_name"] for row in found.json()["data"]]
        return bool(names)

    await until(listed, within=WITHIN)
    return names
