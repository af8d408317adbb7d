"""The GDC month of an association with 20 contracts, through the public API, in both deployment modes.

The association is registered through /v1/employer_structures (members-svc's real event tells billing); its
20 payslips are `payroll.PayslipIssued` events of the real schema published in payroll-svc's outbox, as
payroll-svc's own append writes them (embedded: billing reads that outbox; distributed: payroll's relay sends
it over Kafka), rather than 20 contracts run through the payroll engine. The run of the next month's 1st gives
one invoice whose lines are the payslips' gross and employer contributions plus the fee, and a pain.008.001.08
collection file that validates against the ISO XSD; running it again changes nothing. The mandate is then
revoked, once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from billing_svc.domain.gdc import fee_cents
from billing_svc.sepa.direct_debit import NAMESPACE, validate_pain_008
from tests.e2e.deployments import Deployment
from tests.e2e.gdc_events import Payslip, payslip_issued, publish
from tests.e2e.skeleton import auth, until
from tests.e2e.test_employers_api import register

WITHIN = 180.0  # the machine is shared: a generous deadline costs nothing when the condition holds
SCOPES = ("members:read", "members:write", "invoices:read", "invoices:write")
FEE = Decimal("5")
# A month of this test's own: the shared distributed deployment's other tests issue payslips in the current
# months, and the run would invoice every association they employed for (minutes of finalisations).
MONTH, RUN_ON = "2030-11", "2030-12-01"  # billing_svc/reference/gdc_fees.json, smartfr
MANDATE = {
    "reference": "GDC-ATELIERS-0001",
    "signed_on": "2026-11-02",
    "debtor": {
        "name": "Les Ateliers du Spectacle",
        "address": {"street": "12 rue des Arts", "postal_code": "75011", "city": "Paris"},
        "iban": "FR76 3000 4000 0000 0234 5678 983",
    },
}


def _text(xml: bytes, path: str) -> str:
    found = etree.fromstring(xml).xpath(f"string({path})", namespaces={"p": NAMESPACE})
    assert isinstance(found, str)
    return found


async def test_the_gdc_month_of_an_association_with_20_contracts(deployment: Deployment) -> None:
    key = await deployment.api_key("smartfr", *SCOPES)
    gateway = deployment.gateway
    association = (await register(deployment, key))["id"]

    mandate: dict[str, Any] = {}

    async def mandate_signed() -> bool:  # 404 until billing has learnt the association from members-svc
        answer = await gateway.post(
            f"/v1/employers/{association}/sepa-mandates", json=MANDATE, headers=auth(key)
        )
        assert answer.status_code in (201, 404), answer.text
        mandate["answer"] = answer
        return answer.status_code == 201

    await until(mandate_signed, within=WITHIN)
    assert mandate["answer"].json()["reference"] == "GDC-ATELIERS-0001"

    payslips = [
        Payslip(UUID(association), MONTH, 120_000 + 2_531 * n, 168_000 + 3_217 * n) for n in range(20)
    ]
    await publish(deployment.database_url, "payroll", [payslip_issued("smartfr", p) for p in payslips])

    async def all_learnt() -> bool:
        count = await deployment.fetchval(
            "billing", "SELECT count(*) FROM gdc_payslips WHERE employer_id = $1", UUID(association)
        )
        return count == 20

    await until(all_learnt, within=WITHIN)

    run = await gateway.post("/v1/gdc/monthly-invoices", json={"run_on": RUN_ON}, headers=auth(key))
    assert run.status_code == 200, run.text
    assert run.json()["month"] == MONTH
    [invoiced] = [i for i in run.json()["invoices"] if i["employer_id"] == association]

    gross = sum(p.gross_cents for p in payslips)
    contributions = sum(p.employer_cost_cents - p.gross_cents for p in payslips)
    fee = fee_cents(gross + contributions, FEE)
    invoice = await gateway.get(f"/v1/invoices/{invoiced['invoice_id']}", headers=auth(key))
    assert invoice.status_code == 200, invoice.text
    assert [line["unit_price_cents"] for line in invoice.json()["lines"]] == [gross, contributions, fee]
    assert invoice.json()["totals"]["total_cents"] == gross + contributions + fee == invoiced["total_cents"]
    assert invoice.json()["number"] == invoiced["number"]
    xml = await gateway.get(f"/v1/invoices/{invoiced['invoice_id']}.xml", headers=auth(key))
    assert xml.status_code == 200  # checked against the XSD and both schematrons when it was issued

    debit = await gateway.get(f"/v1/gdc/direct-debits/{invoiced['direct_debit_id']}.xml", headers=auth(key))
    assert debit.status_code == 200, debit.text
    assert debit.headers["content-type"].startswith("application/xml")
    validate_pain_008(debit.content)
    assert _text(debit.content, "//p:SeqTp") == "FRST"
    assert _text(debit.content, "//p:InstdAmt") == f"{Decimal(gross + contributions + fee) / 100:.2f}"
    assert _text(debit.content, "//p:MndtId") == "GDC-ATELIERS-0001"
    file = f"/v1/gdc/direct-debits/{invoiced['direct_debit_id']}.xml"
    other = await deployment.api_key("coop-portage", *SCOPES)
    elsewhere = await gateway.get(file, headers=auth(other))
    assert (elsewhere.status_code, elsewhere.headers["content-type"]) == (404, "application/problem+json")
    assert (await gateway.get(file)).status_code == 401

    again = await gateway.post("/v1/gdc/monthly-invoices", json={"run_on": RUN_ON}, headers=auth(key))
    assert again.status_code == 200, again.text
    assert [i for i in again.json()["invoices"] if i["employer_id"] == association] == [invoiced]
    series = await gateway.get("/v1/invoices", params={"series": "GDC", "limit": 100}, headers=auth(key))
    assert [i["id"] for i in series.json()["data"]] == [invoiced["invoice_id"]]

    not_first = await gateway.post(
        "/v1/gdc/monthly-invoices", json={"run_on": "2030-12-02"}, headers=auth(key)
    )
    assert (not_first.status_code, not_first.json()["param"]) == (400, "body.run_on")
    taken = await gateway.post(f"/v1/employers/{association}/sepa-mandates", json=MANDATE, headers=auth(key))
    assert (taken.status_code, taken.json()["param"]) == (409, "body.reference")

    revocation = f"/v1/employers/{association}/sepa-mandates/{mandate['answer'].json()['id']}/revocation"
    body = {"revoked_on": "2026-11-20"}
    reader = await deployment.api_key("smartfr", "invoices:read")
    for headers, status in (
        (auth(other), 404),
        (auth(reader), 403),
        ({"Idempotency-Key": str(UUID(int=7))}, 401),
    ):
        refused = await gateway.post(revocation, json=body, headers=headers)
        assert refused.status_code == status, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    revoked = await gateway.post(revocation, json=body, headers=auth(key))
    assert (revoked.status_code, revoked.json()["revoked_on"]) == (200, "2026-11-20"), revoked.text
    twice = await gateway.post(revocation, json=body, headers=auth(key))
    assert (twice.status_code, twice.json()["code"]) == (409, "mandate_already_revoked")
