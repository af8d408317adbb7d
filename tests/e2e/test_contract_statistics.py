"""The Production de projets statistics through the gateway, in both modes: a hired contract counts once for
its tenant, with the gender and age band kept from its DPAE and its sector; another tenant's figures do not
move; a period backwards is a 400 naming it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.e2e.deployments import Deployment
from tests.e2e.skeleton import auth, until
from tests.e2e.test_contracts_api import EMPLOYEE, PARIS, SCOPES, WITHIN, cddu, employee


def group(stats: dict[str, Any], by: str, key: str) -> int:
    return next((g["contracts"] for g in stats[by] if g["key"] == key), 0)


def age_band_on(birth: date, day: date) -> str:
    age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
    return next(band for floor, band in ((55, "55_and_over"), (45, "45_54"), (35, "35_44"), (25, "25_34"),
                                         (0, "under_25")) if age >= floor)  # fmt: skip


async def test_a_hired_contract_counts_for_its_tenant_only(deployment: Deployment) -> None:
    key = await deployment.api_key("smartfr", *SCOPES)
    other = await deployment.api_key("grandsensemble", "contracts:read")
    starts_at = datetime.now(UTC) + timedelta(minutes=10)
    year = starts_at.astimezone(PARIS).year
    period = {"period_from": f"{year}-01-01", "period_to": f"{year}-12-31"}

    async def statistics(api_key: str) -> dict[str, Any]:
        answer = await deployment.gateway.get("/v1/contract_statistics", params=period, headers=auth(api_key))
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    before, other_before = await statistics(key), await statistics(other)
    member_id = await employee(deployment, key)
    drafted = await deployment.gateway.post(
        "/v1/contracts", json=cddu(member_id, starts_at), headers=auth(key)
    )
    assert drafted.status_code == 201, drafted.text
    path = f"/v1/contracts/{drafted.json()['id']}"
    declared = await deployment.gateway.post(
        f"{path}/hire_declaration", json={"employee": EMPLOYEE}, headers=auth(key)
    )
    assert declared.status_code == 200, declared.text

    async def counted() -> bool:
        return (await statistics(key))["contracts"] == before["contracts"] + 1

    await until(counted, within=WITHIN)
    after = await statistics(key)
    band = age_band_on(date.fromisoformat(EMPLOYEE["birth_date"]), starts_at.astimezone(PARIS).date())
    assert after["object"] == "contract_statistics"
    assert after["people"] == before["people"] + 1  # a new member
    assert group(after, "by_gender", "F") == group(before, "by_gender", "F") + 1
    assert group(after, "by_age_band", band) == group(before, "by_age_band", band) + 1
    assert group(after, "by_sector", "spectacle") == group(before, "by_sector", "spectacle") + 1
    assert EMPLOYEE["birth_date"] not in str(after)
    assert await statistics(other) == other_before  # the other tenant's figures did not move

    backwards = await deployment.gateway.get(
        "/v1/contract_statistics",
        params={"period_from": f"{year}-12-31", "period_to": f"{year}-01-01"},
        headers=auth(key),
    )
    assert (backwards.status_code, backwards.json()["param"]) == (400, "query.period_to"), backwards.text
    not_a_date = await deployment.gateway.get(
        "/v1/contract_statistics", params={"period_from": "1700000000"}, headers=auth(key)
    )
    assert not_a_date.status_code == 400, not_a_date.text
