"""hire -> contract -> work -> completion -> payslip -> salary scheduled by the 7-day promise -> payment
run -> salary paid, all through the public API, in both deployment modes (distributed: contracts' events
over Kafka).

Work is reported once done and a contract starts after its DPAE, so the contract starts a few seconds ahead
and its one minute of work is reported as soon as it is over (the report is refused until then).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
from pypdf import PdfReader

from payroll_svc.domain.payments import salary_due_on
from tests.e2e.deployments import Deployment, in_each_mode_at_once
from tests.e2e.skeleton import auth, until
from tests.e2e.test_contracts_api import EMPLOYEE, EMPLOYER, PARIS, cddu, employee

WITHIN = 90.0
SCOPES = (
    "members:read",
    "members:write",
    "contracts:read",
    "contracts:write",
    "payslips:read",
    "payments:write",
)


@pytest.mark.kafka
@pytest.mark.slow
async def test_a_completed_contract_gives_a_payslip_and_its_salary_paid_by_the_run(
    each_mode: list[Deployment],
) -> None:
    await in_each_mode_at_once(payslip_and_salary, each_mode)


async def payslip_and_salary(deployment: Deployment) -> None:
    key = await deployment.api_key("smartfr", *SCOPES)
    member_id = await employee(deployment, key)
    starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    drafted = await deployment.gateway.post(
        "/v1/contracts", json=cddu(member_id, starts_at), headers=auth(key)
    )
    assert drafted.status_code == 201, drafted.text
    path = f"/v1/contracts/{drafted.json()['id']}"
    declared = await deployment.gateway.post(
        f"{path}/hire_declaration", json={"employee": EMPLOYEE}, headers=auth(key)
    )
    assert declared.status_code == 200, declared.text
    signed = await deployment.gateway.post(f"{path}/signature", headers=auth(key))
    assert signed.status_code == 200, signed.text

    work = {
        "periods": [
            {"starts_at": starts_at.isoformat(), "ends_at": (starts_at + timedelta(minutes=1)).isoformat()}
        ]
    }
    reported: dict[str, Any] = {}

    async def work_reported() -> bool:
        answer = await deployment.gateway.post(f"{path}/work_reports", json=work, headers=auth(key))
        reported["answer"] = answer
        return answer.status_code == 200

    await until(work_reported, within=WITHIN)
    last_day = (starts_at + timedelta(minutes=1)).astimezone(PARIS).date()  # the day the work ends, in Paris
    done = await deployment.gateway.post(
        f"{path}/completion", json={"completed_on": last_day.isoformat()}, headers=auth(key)
    )
    assert done.status_code == 200, done.text

    contract_id = drafted.json()["id"]
    found: dict[str, Any] = {}

    async def payslip_issued() -> bool:
        listed = await deployment.gateway.get(
            "/v1/payslips", params={"contract_id": contract_id}, headers=auth(key)
        )
        assert listed.status_code == 200, listed.text
        found["data"] = listed.json()["data"]
        return len(found["data"]) == 1

    await until(payslip_issued, within=WITHIN)
    [payslip] = found["data"]
    # One minute at 15.00 € an hour: 0.25 €, plus the CDDU's 10 % paid-leave pay.
    assert (payslip["member_id"], payslip["period"]) == (member_id, f"{last_day:%Y-%m}")
    assert payslip["gross_cents"] == 25 + 2
    assert 0 < payslip["net_paid_cents"] < payslip["gross_cents"] < payslip["employer_cost_cents"]
    read = await deployment.gateway.get(f"/v1/payslips/{payslip['id']}", headers=auth(key))
    assert (read.status_code, read.json()) == (200, payslip)
    pdf = await deployment.gateway.get(f"/v1/payslips/{payslip['id']}.pdf", headers=auth(key))
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    document = "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf.content)).pages)
    assert f"{EMPLOYER['legal_name']} - SIRET {EMPLOYER['siret']}" in document  # its establishment (ADR 024)

    async def scheduled() -> dict[str, Any]:
        listed = await deployment.gateway.get(
            "/v1/salary_payments", params={"payslip_id": payslip["id"]}, headers=auth(key)
        )
        assert listed.status_code == 200, listed.text
        [payment] = listed.json()["data"]
        return dict(payment)

    payment = await scheduled()
    due_on = salary_due_on(last_day)
    assert (payment["status"], payment["due_on"], payment["net_cents"]) == (
        "scheduled",
        due_on.isoformat(),
        payslip["net_paid_cents"],
    )

    async def ids_in(state: str) -> list[str]:
        listed = await deployment.gateway.get(
            "/v1/salary_payments", params={"state": state, "member_id": member_id}, headers=auth(key)
        )
        assert listed.status_code == 200, listed.text
        return [p["payslip_id"] for p in listed.json()["data"]]

    assert (await ids_in("due"), await ids_in("paid"), await ids_in("late")) == ([payslip["id"]], [], [])

    # The day before it is due, the run does not pay it; on its due date it does, on time.
    before = await deployment.gateway.post(
        "/v1/payment_runs", json={"run_on": (due_on - timedelta(days=1)).isoformat()}, headers=auth(key)
    )
    assert before.status_code == 201, before.text
    assert payslip["id"] not in before.json()["paid"]
    run = await deployment.gateway.post(
        "/v1/payment_runs", json={"run_on": due_on.isoformat()}, headers=auth(key)
    )
    assert run.status_code == 201, run.text
    assert payslip["id"] in run.json()["paid"]
    assert payslip["id"] not in run.json()["late"]
    paid = await scheduled()
    assert (paid["status"], paid["paid_on"], paid["on_time"], paid["late"]) == (
        "paid",
        due_on.isoformat(),
        True,
        False,
    )
    assert (await ids_in("due"), await ids_in("paid"), await ids_in("late")) == ([], [payslip["id"]], [])
    again = await deployment.gateway.post(
        "/v1/payment_runs", json={"run_on": (due_on + timedelta(days=1)).isoformat()}, headers=auth(key)
    )
    assert payslip["id"] not in again.json()["paid"]  # paid once

    published = await deployment.fetchval(
        "payroll",
        "SELECT string_agg(envelope->>'event_type', ' ' ORDER BY position) FROM outbox"
        " WHERE message_key IN ($1, $2)",
        f"payslip-{payslip['id']}",
        f"salary-payment-{payslip['id']}",
    )
    assert published == "payroll.PayslipIssued payroll.SalaryPaymentScheduled payroll.SalaryPaid"
    assert payment["last_day_worked"] == last_day.isoformat()

    async def webhooks_made() -> bool:  # the gateway's fan-out made both webhook messages
        made = await deployment.fetchval(
            "gateway",
            "SELECT string_agg(event_type, ' ' ORDER BY event_type) FROM webhook_messages"
            " WHERE payload::text LIKE '%' || $1 || '%'",
            payslip["id"],
        )
        return bool(made == "payslip.issued salary.paid")

    await until(webhooks_made, within=WITHIN)
