"""A create's answer lost between the service's commit and the gateway keeping it (ADR 023), for contracts and
payroll: the integrator's retry, with the same Idempotency-Key, runs again; it names what the first made and
makes nothing more (no second contract, report, renewal, amendment, correction payslip or payment run).

Embedded mode only: the crash window is made in the gateway's idempotency table. The givens are cheap: a
contract starts five seconds ahead, its work is one second (a monthly pay, so it still gives a payslip)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from payroll_svc.domain.payments import salary_due_on
from tests.e2e.deployments import Deployment
from tests.e2e.lost_answers import post_twice_with_the_answer_lost
from tests.e2e.skeleton import auth, until
from tests.e2e.test_contracts_api import EMPLOYEE, PARIS, cddu, employee
from tests.e2e.test_payroll_payslips import SCOPES

WITHIN = 30.0
MONTHLY = {"basis": "monthly", "amount_cents": 200000}
# A CDDU next year (renewable at will), of a member the draft does not check yet.
NEXT_YEARS = cddu("0197a3c2-5b1e-7c3d-9a4f-2e6b8d1c0e01", datetime(2027, 4, 1, 7, tzinfo=UTC))


@pytest.fixture
def deployment(embedded_deployment: Deployment) -> Deployment:
    """Embedded mode only (the crash window is made in the gateway's table, the same in both modes)."""
    return embedded_deployment


@pytest_asyncio.fixture
async def key(deployment: Deployment) -> str:
    return await deployment.api_key("smartfr", *SCOPES)


async def events(deployment: Deployment, schema: str, stream: str, event_type: str) -> int:
    found = await deployment.fetchval(
        schema, "SELECT count(*) FROM events WHERE stream_id = $1 AND event_type = $2", stream, event_type
    )
    assert isinstance(found, int)
    return found


async def signed_contract(deployment: Deployment, key: str) -> tuple[str, datetime]:
    """A known employee's monthly-paid CDDU, declared and signed before it starts: its id and its start."""
    member_id = await employee(deployment, key)
    starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
    drafted = await deployment.gateway.post(
        "/v1/contracts", json=cddu(member_id, starts_at, pay=MONTHLY), headers=auth(key)
    )
    assert drafted.status_code == 201, drafted.text
    contract_id = str(drafted.json()["id"])
    for step, body in (("hire_declaration", {"employee": EMPLOYEE}), ("signature", None)):
        answer = await deployment.gateway.post(
            f"/v1/contracts/{contract_id}/{step}", json=body, headers=auth(key)
        )
        assert answer.status_code == 200, answer.text
    return contract_id, starts_at


async def work_done(starts_at: datetime, from_second: int = 0) -> dict[str, Any]:
    """One second of work from `from_second` after the start, reported once over."""
    starts = starts_at + timedelta(seconds=from_second)
    ends = starts + timedelta(seconds=1)
    await asyncio.sleep(max(0.0, (ends - datetime.now(UTC)).total_seconds()) + 0.1)
    return {"periods": [{"starts_at": starts.isoformat(), "ends_at": ends.isoformat()}]}


async def payslips_of(deployment: Deployment, key: str, contract_id: str) -> list[dict[str, Any]]:
    listed = await deployment.gateway.get(
        "/v1/payslips", params={"contract_id": contract_id}, headers=auth(key)
    )
    assert listed.status_code == 200, listed.text
    return list(listed.json()["data"])


async def completed_contracts_payslip(deployment: Deployment, key: str) -> dict[str, Any]:
    """The payslip of a contract worked one second and completed the day it started."""
    contract_id, starts_at = await signed_contract(deployment, key)
    reported = await deployment.gateway.post(
        f"/v1/contracts/{contract_id}/work_reports", json=await work_done(starts_at), headers=auth(key)
    )
    assert reported.status_code == 200, reported.text
    day = (starts_at + timedelta(seconds=1)).astimezone(PARIS).date().isoformat()  # the work's last day
    done = await deployment.gateway.post(
        f"/v1/contracts/{contract_id}/completion", json={"completed_on": day}, headers=auth(key)
    )
    assert done.status_code == 200, done.text

    async def issued() -> bool:
        return len(await payslips_of(deployment, key, contract_id)) == 1

    await until(issued, within=WITHIN)
    [payslip] = await payslips_of(deployment, key, contract_id)
    return payslip


async def test_a_contract_drafted_again_after_its_answer_was_lost_is_the_same_contract(
    deployment: Deployment, key: str
) -> None:
    first, retry = await post_twice_with_the_answer_lost(deployment, "/v1/contracts", NEXT_YEARS, auth(key))

    assert (first.status_code, retry.status_code) == (201, 201), retry.text
    contract_id = first.json()["id"]
    assert retry.json()["id"] == contract_id
    assert retry.headers["location"] == f"/v1/contracts/{contract_id}"
    assert await events(deployment, "contracts", f"contract-{contract_id}", "ContractDrafted") == 1
    another = await deployment.gateway.post("/v1/contracts", json=NEXT_YEARS, headers=auth(key))
    assert another.status_code == 201, another.text
    assert another.json()["id"] != contract_id


async def test_a_work_report_sent_again_after_its_answer_was_lost_is_recorded_once(
    deployment: Deployment, key: str
) -> None:
    contract_id, starts_at = await signed_contract(deployment, key)
    path = f"/v1/contracts/{contract_id}/work_reports"
    stream = f"contract-{contract_id}"

    first, retry = await post_twice_with_the_answer_lost(
        deployment, path, await work_done(starts_at), auth(key)
    )

    assert (first.status_code, retry.status_code) == (200, 200), retry.text  # not refused as an overlap
    assert retry.json()["id"] == first.json()["id"] == contract_id
    assert retry.headers["etag"] == first.headers["etag"]
    assert await events(deployment, "contracts", stream, "WorkReported") == 1
    later = await work_done(starts_at, from_second=1)
    another = await deployment.gateway.post(path, json=later, headers=auth(key))
    assert another.status_code == 200, another.text
    assert await events(deployment, "contracts", stream, "WorkReported") == 2


async def test_a_renewal_and_an_amendment_sent_again_after_their_answers_were_lost_are_recorded_once(
    deployment: Deployment, key: str
) -> None:
    drafted = await deployment.gateway.post("/v1/contracts", json=NEXT_YEARS, headers=auth(key))
    assert drafted.status_code == 201, drafted.text
    path = f"/v1/contracts/{drafted.json()['id']}"
    stream = f"contract-{drafted.json()['id']}"

    renewal = {"ends_on": "2027-04-30", "reason": "the tour goes on"}
    first, retry = await post_twice_with_the_answer_lost(deployment, f"{path}/renewal", renewal, auth(key))

    assert (first.status_code, retry.status_code) == (200, 200), retry.text
    assert (retry.json()["renewals"], retry.json()["ends_on"]) == (1, "2027-04-30")  # renewed once
    assert await events(deployment, "contracts", stream, "ContractRenewed") == 1

    amendment = {"reason": "new collective agreement", "pay": {"basis": "hourly", "amount_cents": 1600}}
    first, retry = await post_twice_with_the_answer_lost(
        deployment, f"{path}/amendment", amendment, auth(key)
    )

    assert (first.status_code, retry.status_code) == (200, 200), retry.text
    assert retry.json()["pay"] == amendment["pay"]
    assert await events(deployment, "contracts", stream, "ContractAmended") == 1
    again = await deployment.gateway.post(f"{path}/amendment", json=amendment, headers=auth(key))
    assert again.status_code == 200, again.text  # another request: another amendment
    assert await events(deployment, "contracts", stream, "ContractAmended") == 2


async def test_a_payslip_correction_sent_again_after_its_answer_was_lost_issues_one_correction(
    deployment: Deployment, key: str
) -> None:
    payslip = await completed_contracts_payslip(deployment, key)
    correction = {
        "payslip_id": payslip["id"],
        "reason": "the monthly pay was 2 100 €",
        "gross_cents": payslip["gross_cents"] + 300,
    }

    first, retry = await post_twice_with_the_answer_lost(
        deployment, "/v1/payslip_corrections", correction, auth(key)
    )

    assert (first.status_code, retry.status_code) == (201, 201), retry.text
    assert retry.json() == first.json()  # the same correction payslip, the same difference
    correction_id = first.json()["payslip"]["id"]
    corrections = await deployment.fetchval(
        "payroll", "SELECT count(*) FROM payslips WHERE corrects_payslip_id = $1", payslip["id"]
    )
    assert corrections == 1
    assert await events(deployment, "payroll", f"payslip-{correction_id}", "PayslipIssued") == 1
    # The raise is paid once: one salary payment for the correction.
    assert await events(deployment, "payroll", f"salary-payment-{correction_id}", "SalaryScheduled") == 1
    another = await deployment.gateway.post("/v1/payslip_corrections", json=correction, headers=auth(key))
    assert (another.status_code, another.json()["code"]) == (409, "payslip_already_corrected")


async def test_a_payment_run_asked_again_after_its_answer_was_lost_is_the_same_run_paying_once(
    deployment: Deployment, key: str
) -> None:
    payslip = await completed_contracts_payslip(deployment, key)
    due_on = salary_due_on(datetime.now(PARIS).date()).isoformat()

    first, retry = await post_twice_with_the_answer_lost(
        deployment, "/v1/payment_runs", {"run_on": due_on}, auth(key)
    )

    assert (first.status_code, retry.status_code) == (201, 201), retry.text
    assert payslip["id"] in first.json()["paid"]
    assert retry.json() == first.json()  # the same run, as it was answered
    run_id = first.json()["run_id"]
    assert await events(deployment, "payroll", f"payment-run-{run_id}", "PaymentRunStarted") == 1
    assert await events(deployment, "payroll", f"salary-payment-{payslip['id']}", "SalaryPaid") == 1
    another = await deployment.gateway.post("/v1/payment_runs", json={"run_on": due_on}, headers=auth(key))
    assert another.status_code == 201, another.text
    assert payslip["id"] not in another.json()["paid"]  # another run, nothing left to pay it
    assert await events(deployment, "payroll", f"salary-payment-{payslip['id']}", "SalaryPaid") == 1


async def test_a_month_close_sent_again_after_its_answer_was_lost_issues_nothing_more(
    deployment: Deployment, key: str
) -> None:
    contract_id, starts_at = await signed_contract(deployment, key)
    reported = await deployment.gateway.post(
        f"/v1/contracts/{contract_id}/work_reports", json=await work_done(starts_at), headers=auth(key)
    )
    assert reported.status_code == 200, reported.text

    async def work_recorded() -> bool:  # payroll records the work from contracts' events
        return await events(deployment, "payroll", f"contract-pay-{contract_id}", "WorkRecorded") == 1

    await until(work_recorded, within=WITHIN)
    month = {"month": f"{starts_at.astimezone(PARIS):%Y-%m}"}

    first, retry = await post_twice_with_the_answer_lost(
        deployment, "/v1/payroll/month_closes", month, auth(key)
    )

    assert (first.status_code, retry.status_code) == (201, 201), retry.text
    [payslip] = await payslips_of(deployment, key, contract_id)
    assert payslip["id"] in first.json()["payslips"]
    # Closing the month again closes nothing more: the work is paid (the retry lists what it issued, none).
    assert payslip["id"] not in retry.json()["payslips"]
    assert await events(deployment, "payroll", f"contract-pay-{contract_id}", "PayPeriodClosed") == 1
