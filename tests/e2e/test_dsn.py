"""GET /v1/dsn/{siret}/{month} in both deployment modes: contracts worked and completed through the public
API, their payslips issued, then the establishment's DSN for the month their salaries are paid in passes the
structural check, one person block per person and one contract block per contract.

The people are named through payroll's Identities port; its adapter here is the fake (members-svc's is in
tests/e2e/test_dsn_identities.py), so the NIRs are test ones. The establishment is the one the contracts were
drafted under (ADR 024): another employer's contracts are in its own DSN.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from payroll_svc.declarations.dsn import check_dsn
from payroll_svc.domain.payments import salary_due_on
from tests.e2e.deployments import Deployment, in_each_mode_at_once
from tests.e2e.skeleton import auth, until
from tests.e2e.test_contracts_api import EMPLOYER, PARIS
from tests.e2e.test_payroll_months import worked_contract
from tests.e2e.test_payroll_payslips import SCOPES, WITHIN

PEOPLE = 3
# Another employer's establishment: its contracts are its own DSN's, never the first one's (ADR 024).
OTHER_EMPLOYER = {
    **EMPLOYER,
    "id": "5e154dc3-7ad9-41ef-98c7-dd33c83b9fee",
    "legal_name": "Compagnie des Quais",
    "siret": "40483304800105",
    "street": "3 quai de la Loire",
    "postal_code": "75019",
}
NO_CONTRACT_SIRET = "55208131766522"  # valid, and no contract of the tenant is made under it
# The DSN checks structure, not amounts: a second of monthly-paid work, not a minute waited for.
WORK, MONTHLY = timedelta(seconds=1), {"basis": "monthly", "amount_cents": 200_000}


async def completed_contract(
    deployment: Deployment, key: str, employer: dict[str, str] = EMPLOYER
) -> tuple[str, datetime]:
    _, contract_id, starts_at = await worked_contract(deployment, key, employer, worked=WORK, pay=MONTHLY)
    done = await deployment.gateway.post(
        f"/v1/contracts/{contract_id}/completion",
        json={"completed_on": (starts_at + WORK).astimezone(PARIS).date().isoformat()},
        headers=auth(key),
    )
    assert done.status_code == 200, done.text
    return contract_id, starts_at


@pytest.mark.kafka
@pytest.mark.slow
async def test_the_dsn_of_a_month_of_work_passes_the_structural_check(each_mode: list[Deployment]) -> None:
    await in_each_mode_at_once(a_month_declared, each_mode)


async def a_month_declared(deployment: Deployment) -> None:
    key = await deployment.api_key("smartfr", *SCOPES, "members:personal_data:read")
    done = await asyncio.gather(
        *(completed_contract(deployment, key) for _ in range(PEOPLE)),
        completed_contract(deployment, key, OTHER_EMPLOYER),
    )
    *ours, (elsewhere, _) = done
    contracts = [contract_id for contract_id, _ in ours]
    days = {starts_at.astimezone(PARIS).date() for _, starts_at in ours}

    async def payslips_issued() -> bool:
        for contract_id in [*contracts, elsewhere]:
            listed = await deployment.gateway.get(
                "/v1/payslips", params={"contract_id": contract_id}, headers=auth(key)
            )
            if len(listed.json()["data"]) != 1:
                return False
        return True

    await until(payslips_issued, within=WITHIN)
    paid_in = salary_due_on(min(days))
    assert {salary_due_on(day).replace(day=1) for day in days} == {paid_in.replace(day=1)}  # one month
    siret = EMPLOYER["siret"]

    answer = await deployment.gateway.get(f"/v1/dsn/{siret}/{paid_in:%Y-%m}", headers=auth(key))

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.headers["cache-control"] == "no-store"
    text = answer.text
    assert check_dsn(text) == []
    lines = text.splitlines()
    numbers = {line.split(",")[1].strip("'") for line in lines if line.startswith("S21.G00.40.009,")}
    assert {contract.replace("-", "")[:20] for contract in contracts} <= numbers
    assert elsewhere.replace("-", "")[:20] not in numbers
    assert f"S21.G00.06.001,'{siret[:9]}'" in lines
    assert f"S20.G00.05.005,'01{paid_in:%m%Y}'" in lines
    # The establishment as its contracts were made under it, not a placeholder.
    assert f"S21.G00.11.001,'{siret[9:]}'" in lines
    assert f"S21.G00.11.003,'{EMPLOYER['street']}'" in lines

    other = await deployment.gateway.get(
        f"/v1/dsn/{OTHER_EMPLOYER['siret']}/{paid_in:%Y-%m}", headers=auth(key)
    )
    assert other.status_code == 200, other.text
    assert check_dsn(other.text) == []
    assert f"S21.G00.11.003,'{OTHER_EMPLOYER['street']}'" in other.text.splitlines()
    assert elsewhere.replace("-", "")[:20] in other.text
    unknown = await deployment.gateway.get(f"/v1/dsn/{NO_CONTRACT_SIRET}/{paid_in:%Y-%m}", headers=auth(key))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "establishment_unknown")

    bad = await deployment.gateway.get(f"/v1/dsn/73282932000075/{paid_in:%Y-%m}", headers=auth(key))
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_siret")
    assert "siret" in bad.text
    without_personal_data = await deployment.api_key("smartfr", "payslips:read")
    refused = await deployment.gateway.get(
        f"/v1/dsn/{siret}/{paid_in:%Y-%m}", headers=auth(without_personal_data)
    )
    assert refused.status_code == 403
