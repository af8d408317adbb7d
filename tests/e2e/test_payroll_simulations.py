"""Payroll simulations through the public API: DOMAIN.md's worked examples, to the cent, and the refusals."""

from __future__ import annotations

from typing import Any

from tests.e2e.deployments import Deployment
from tests.e2e.skeleton import auth

TENANT = "smartfr"
FULL_MONTH = {
    "period": "2026-01",
    "status": "non_cadre",
    "contract_type": "cdi",
    "headcount_band": "50_and_over",
    "accident_at_work_rate": "0.007",
    "hours": "151.67",
}


async def simulate(deployment: Deployment, key: str, body: dict[str, Any]) -> Any:
    return await deployment.gateway.post("/v1/payroll/simulations", json=body, headers=auth(key))


async def test_a_full_month_at_2000_euros_gives_the_domain_worked_example(deployment: Deployment) -> None:
    key = await deployment.api_key(TENANT, "payroll:simulate")

    answer = await simulate(deployment, key, {**FULL_MONTH, "gross_cents": 200000})

    assert answer.status_code == 200, answer.text
    simulation = answer.json()
    assert simulation["gross_cents"] == 200000
    assert simulation["net_before_tax_cents"] == 158320
    assert simulation["net_taxable_cents"] == 164018
    assert simulation["rgdu_coefficient"] == "0.3178"
    assert simulation["employer_cost_cents"] == 221972 + 100  # DOMAIN.md's AGS 0.20 % + 0.05 % of 2,000 €
    lines = {line["code"]: line for line in simulation["lines"]}
    assert lines["vieillesse_plafonnee"] == {
        "code": "vieillesse_plafonnee",
        "label": "Retraite - Sécurité sociale plafonnée",
        "base_cents": 200000,
        "employee_rate": "0.069",
        "employer_rate": "0.0855",
        "employee_cents": 13800,
        "employer_cents": 17100,
    }
    assert lines["rgdu"]["employer_cents"] == -63560
    assert sum(line["employee_cents"] for line in simulation["lines"]) == 200000 - 158320


async def test_a_900_euro_budget_for_a_five_day_cddu_buys_675_85_euros_of_gross(
    deployment: Deployment,
) -> None:
    key = await deployment.api_key(TENANT, "payroll:simulate")
    body = {
        **FULL_MONTH,
        "contract_type": "cddu",
        "hours": "35",
        "days": 5,
        "ends_in_period": True,
        "employer_budget_cents": 90000,
    }

    answer = await simulate(deployment, key, body)

    assert answer.status_code == 200, answer.text
    simulation = answer.json()
    assert simulation["gross_cents"] == 67585
    assert simulation["employer_cost_cents"] + simulation["unspent_cents"] == 90000
    assert simulation["unspent_cents"] >= 0
    assert [earning["code"] for earning in simulation["earnings"]] == ["salaire_base", "iccp"]


async def test_bad_input_is_a_400_naming_the_field(deployment: Deployment) -> None:
    key = await deployment.api_key(TENANT, "payroll:simulate")

    both = await simulate(deployment, key, {**FULL_MONTH, "gross_cents": 1, "employer_budget_cents": 1})
    before_2026 = await simulate(deployment, key, {**FULL_MONTH, "period": "2025-12", "gross_cents": 200000})
    not_a_rate = await simulate(
        deployment, key, {**FULL_MONTH, "accident_at_work_rate": "7", "gross_cents": 1}
    )
    intermittent = await simulate(
        deployment,
        key,
        {**FULL_MONTH, "contract_type": "cddu", "intermittent": "annex_8", "gross_cents": 100000},
    )

    assert (both.status_code, both.json()["param"]) == (400, "body.gross_cents")
    assert (before_2026.status_code, before_2026.json()["param"]) == (400, "body.period")
    assert not_a_rate.status_code == 400
    assert "accident_at_work_rate" in not_a_rate.json()["detail"]
    assert (intermittent.status_code, intermittent.json()["param"]) == (400, "body.intermittent")
    assert both.headers["content-type"].startswith("application/problem+json")


async def test_a_simulation_needs_the_payroll_simulate_scope(deployment: Deployment) -> None:
    key = await deployment.api_key(TENANT, "payslips:read")

    answer = await simulate(deployment, key, {**FULL_MONTH, "gross_cents": 200000})

    assert answer.status_code == 403, answer.text
    assert answer.json()["code"] == "insufficient_scope"


async def test_a_period_that_is_no_month_is_a_400(deployment: Deployment) -> None:
    key = await deployment.api_key(TENANT, "payroll:simulate")

    for period in ("0000-01", "2026-13", "2026-1"):
        answer = await simulate(deployment, key, {**FULL_MONTH, "period": period, "gross_cents": 200000})

        assert answer.status_code == 400, answer.text
        assert "period" in answer.json()["detail"]
