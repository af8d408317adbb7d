"""One payslip per contract and month, through the public API in both deployment modes: the work reported
is paid by the month's close (no indemnity yet) with its salary scheduled by the 7-day promise; corrections
are new payslips (a raise paid, a cut to recover); the completion then gives the contract's last payslip with
the paid-leave pay on the whole contract's pay (as first paid: corrections do not change that base).

Work is reported once done and a contract starts after its DPAE: the contract starts a few seconds ahead and
its one minute of work is reported as soon as it is over. The close is of the current month (the close takes
its month from the caller, as the payment run takes its date), so the contract's two payslips are of one
month: the completion's is the month's second payslip of the contract, with its own id.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from payroll_svc.domain.payments import salary_due_on
from tests.e2e.deployments import Deployment, in_each_mode_at_once
from tests.e2e.skeleton import auth, until
from tests.e2e.test_contracts_api import EMPLOYEE, EMPLOYER, PARIS, cddu, employee
from tests.e2e.test_payroll_payslips import SCOPES, WITHIN


async def worked_contract(
    deployment: Deployment,
    key: str,
    employer: dict[str, str] = EMPLOYER,
    *,
    worked: timedelta = timedelta(minutes=1),
    pay: dict[str, Any] | None = None,
) -> tuple[str, str, datetime]:
    """A new employee's CDDU (15.00 € an hour unless `pay` says otherwise), declared and signed, with `worked`
    reported once done: the member's and the contract's ids, and when the work started. A test that needs
    no amounts waits less with a second of monthly-paid work."""
    member_id = await employee(deployment, key)
    # Ahead enough for the DPAE to arrive first on a loaded machine (once the employee is known).
    starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=15)
    terms = {"employer": employer} if pay is None else {"employer": employer, "pay": pay}
    drafted = await deployment.gateway.post(
        "/v1/contracts", json=cddu(member_id, starts_at, **terms), headers=auth(key)
    )
    assert drafted.status_code == 201, drafted.text
    contract_id = str(drafted.json()["id"])
    path = f"/v1/contracts/{contract_id}"
    for step, body in (("hire_declaration", {"employee": EMPLOYEE}), ("signature", None)):
        answer = await deployment.gateway.post(f"{path}/{step}", json=body, headers=auth(key))
        assert answer.status_code == 200, answer.text
    work = {"periods": [{"starts_at": starts_at.isoformat(), "ends_at": (starts_at + worked).isoformat()}]}

    async def work_reported() -> bool:
        answer = await deployment.gateway.post(f"{path}/work_reports", json=work, headers=auth(key))
        return answer.status_code == 200

    await until(work_reported, within=WITHIN)
    return member_id, contract_id, starts_at


@pytest.mark.kafka
@pytest.mark.slow
async def test_a_months_close_pays_the_work_and_the_completion_pays_the_indemnities(
    each_mode: list[Deployment],
) -> None:
    await in_each_mode_at_once(months_closed_and_corrected, each_mode)


async def months_closed_and_corrected(deployment: Deployment) -> None:
    key = await deployment.api_key("smartfr", *SCOPES)
    member_id, contract_id, starts_at = await worked_contract(deployment, key)
    path = f"/v1/contracts/{contract_id}"
    day = starts_at.astimezone(PARIS).date()
    month = f"{day:%Y-%m}"
    closes: list[Any] = []

    async def payslips() -> list[dict[str, Any]]:
        listed = await deployment.gateway.get(
            "/v1/payslips", params={"contract_id": contract_id}, headers=auth(key)
        )
        assert listed.status_code == 200, listed.text
        return list(listed.json()["data"])

    async def closed_with_the_work() -> bool:  # payroll records the work from contracts' events first
        close = await deployment.gateway.post(
            "/v1/payroll/month_closes", json={"month": month}, headers=auth(key)
        )
        assert close.status_code == 201, close.text
        closes.append(close.json())
        return len(await payslips()) == 1

    await until(closed_with_the_work, within=WITHIN)
    [first] = await payslips()
    assert first["id"] in closes[-1]["payslips"]
    # One minute at 15.00 € an hour, and no paid-leave pay before the contract ends.
    assert (first["period"], first["gross_cents"], first["member_id"]) == (month, 25, member_id)
    closes_path = "/v1/payroll/month_closes"
    again = await deployment.gateway.post(closes_path, json={"month": month}, headers=auth(key))
    assert first["id"] not in again.json()["payslips"]  # its work is paid: closing again issues nothing

    # A correction is a new payslip; the raise is a salary payment, a cut of it an overpayment to recover.
    raised = await deployment.gateway.post(
        "/v1/payslip_corrections",
        json={"payslip_id": first["id"], "reason": "rate was 30 €", "gross_cents": 50},
        headers=auth(key),
    )
    assert raised.status_code == 201, raised.text
    raise_id = raised.json()["payslip"]["id"]
    assert raised.json()["payslip"]["corrects_payslip_id"] == first["id"]
    assert raised.json()["difference_cents"] > 0
    twice = await deployment.gateway.post(
        "/v1/payslip_corrections",
        json={"payslip_id": first["id"], "reason": "again", "gross_cents": 60},
        headers=auth(key),
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "payslip_already_corrected")
    for_raise = await deployment.gateway.get(
        "/v1/salary_payments", params={"payslip_id": raise_id}, headers=auth(key)
    )
    assert [p["net_cents"] for p in for_raise.json()["data"]] == [raised.json()["difference_cents"]]
    cut = await deployment.gateway.post(
        "/v1/payslip_corrections",
        json={"payslip_id": raise_id, "reason": "rate was 20 €", "gross_cents": 33},
        headers=auth(key),
    )
    assert cut.status_code == 201, cut.text
    owed = await deployment.gateway.get(
        "/v1/overpayments", params={"payslip_id": cut.json()["payslip"]["id"]}, headers=auth(key)
    )
    assert [(o["amount_cents"], o["corrects_payslip_id"]) for o in owed.json()["data"]] == [
        (-cut.json()["difference_cents"], raise_id)
    ]
    nothing = await deployment.gateway.post(
        "/v1/payslip_corrections",
        json={"payslip_id": cut.json()["payslip"]["id"], "reason": "nothing named"},
        headers=auth(key),
    )
    assert (nothing.status_code, nothing.json()["code"]) == (400, "nothing_to_correct")

    done = await deployment.gateway.post(
        f"{path}/completion", json={"completed_on": day.isoformat()}, headers=auth(key)
    )
    assert done.status_code == 200, done.text

    corrections = {raise_id, cut.json()["payslip"]["id"]}

    async def completed() -> bool:
        return len(await payslips()) == 4

    await until(completed, within=WITHIN)
    [last] = [p for p in await payslips() if p["id"] not in {first["id"], *corrections}]
    # The CDDU's 10 % paid-leave pay on the whole contract's pay as corrected (ADR 025): 0.25 € raised to
    # 0.50 €, then cut to 0.33 €: 3.3 cents, half-even to the cent; no more work.
    assert (last["period"], last["gross_cents"]) == (month, 3)

    listed = await deployment.gateway.get(
        "/v1/salary_payments", params={"payslip_id": first["id"]}, headers=auth(key)
    )
    [payment] = listed.json()["data"]
    assert (payment["status"], payment["due_on"], payment["net_cents"]) == (
        "scheduled",
        salary_due_on(day).isoformat(),
        first["net_paid_cents"],
    )
    forbidden = await deployment.gateway.post(
        "/v1/payroll/month_closes",
        json={"month": month},
        headers=auth(await deployment.api_key("smartfr", "payslips:read")),
    )
    assert forbidden.status_code == 403
    bad = await deployment.gateway.post(closes_path, json={"month": "2026-13"}, headers=auth(key))
    assert bad.status_code == 400
    assert "month" in bad.text
