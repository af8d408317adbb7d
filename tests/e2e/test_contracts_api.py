"""Contracts through the public API, in both modes: draft, DPAE, signature, completion, with ETag/If-Match;
the late DPAE refused and flagged; a broken rule named; lists filtered by member, employer, status, period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.e2e.deployments import Deployment
from tests.e2e.skeleton import auth, until

WITHIN = 30.0
PARIS = ZoneInfo("Europe/Paris")
EMPLOYER = {
    "id": "5b0c3f9e-2d7a-5e41-9c8b-1f6a2e4d7c30",
    "kind": "association",
    "legal_name": "Les Ateliers du Spectacle",
    "siret": "73282932000074",
    "ape_code": "90.01Z",
    "street": "12 rue des Arts",
    "postal_code": "75011",
    "city": "Paris",
    "occupational_health_service": "CMB Paris",
}
EMPLOYEE = {
    "last_name": "Garnier",
    "first_names": "Léa",
    "sex": "F",
    "birth_date": "1995-10-03",
    "birth_place": "Paris",
    "nir": "295107512611162",
}
SCOPES = ("members:read", "members:write", "contracts:read", "contracts:write")


async def employee(deployment: Deployment, key: str) -> str:
    """A member whose application contracts-svc has heard of (members.events)."""
    applied = await deployment.gateway.post(
        "/v1/members",
        json={"person_kind": "natural_person", "display_name": "Léa Garnier", "category": 1},
        headers=auth(key),
    )
    assert applied.status_code == 201, applied.text
    member_id: str = applied.json()["id"]

    async def known() -> bool:
        return (
            await deployment.gateway.get(f"/v1/employees/{member_id}", headers=auth(key))
        ).status_code == 200

    await until(known, within=WITHIN)
    return member_id


def cddu(member_id: str, starts_at: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "employer": EMPLOYER,
        "contract_type": "cddu",
        "job_title": "Régisseur son",
        "sector": "spectacle",
        "starts_at": starts_at.isoformat(),
        "ends_on": (starts_at.astimezone(PARIS).date() + timedelta(days=4)).isoformat(),
        "pay": {"basis": "hourly", "amount_cents": 1500},
        **fields,
    }


async def test_a_contract_goes_from_draft_through_its_dpae_and_signature_to_completion(
    deployment: Deployment,
) -> None:
    key = await deployment.api_key("smartfr", *SCOPES)
    member_id = await employee(deployment, key)
    starts_at = datetime.now(UTC) + timedelta(minutes=10)
    drafted = await deployment.gateway.post(
        "/v1/contracts", json=cddu(member_id, starts_at), headers=auth(key)
    )
    assert drafted.status_code == 201, drafted.text
    assert drafted.headers["etag"] == '"1"'
    contract = drafted.json()
    assert (contract["object"], contract["status"], contract["contract_type"]) == (
        "contract",
        "drafted",
        "cddu",
    )
    assert drafted.headers["location"] == f"/v1/contracts/{contract['id']}"
    path = f"/v1/contracts/{contract['id']}"

    # Signing before the DPAE: refused, a contract cannot start without its acknowledgement.
    early = await deployment.gateway.post(f"{path}/signature", headers=auth(key))
    assert (early.status_code, early.json()["code"]) == (409, "contract_lifecycle_refused"), early.text

    declared = await deployment.gateway.post(
        f"{path}/hire_declaration", json={"employee": EMPLOYEE}, headers=auth(key, **{"If-Match": '"1"'})
    )
    assert declared.status_code == 200, declared.text
    assert declared.json()["status"] == "hire_declared"
    assert declared.json()["hire_declaration"]["acknowledgement_id"].startswith("DPAE-")
    assert declared.headers["etag"] == '"2"'
    assert "295107512611162" not in declared.text  # the identity went to URSSAF, not into the contract

    # A stale If-Match: 412, nothing appended.
    stale = await deployment.gateway.post(f"{path}/signature", headers=auth(key, **{"If-Match": '"1"'}))
    assert (stale.status_code, stale.json()["code"]) == (412, "precondition_failed"), stale.text

    signed = await deployment.gateway.post(f"{path}/signature", headers=auth(key, **{"If-Match": '"2"'}))
    assert (signed.status_code, signed.json()["status"]) == (200, "signed"), signed.text
    today = datetime.now(PARIS).date().isoformat()
    if starts_at.astimezone(PARIS).date().isoformat() == today:  # not across Paris midnight
        done = await deployment.gateway.post(
            f"{path}/completion", json={"completed_on": today}, headers=auth(key)
        )
        assert (done.status_code, done.json()["status"]) == (200, "completed"), done.text

    read = await deployment.gateway.get(path, headers=auth(key))
    assert read.status_code == 200
    completed = read.json()["status"] == "completed"
    assert read.headers["etag"] == ('"4"' if completed else '"3"')
    published = await deployment.fetchval(
        "contracts",
        "SELECT string_agg(envelope->>'event_type', ' ' ORDER BY position) FROM outbox"
        " WHERE message_key = $1",
        f"contract-{contract['id']}",
    )
    expected = "contracts.ContractDrafted contracts.HireDeclared contracts.ContractSigned"
    assert published == expected + (" contracts.ContractCompleted" if completed else "")


async def test_a_late_dpae_is_refused_and_flagged(deployment: Deployment) -> None:
    key = await deployment.api_key("smartfr", *SCOPES)
    member_id = await employee(deployment, key)
    started = datetime.now(UTC) - timedelta(hours=1)
    drafted = await deployment.gateway.post("/v1/contracts", json=cddu(member_id, started), headers=auth(key))
    path = f"/v1/contracts/{drafted.json()['id']}"
    late = await deployment.gateway.post(
        f"{path}/hire_declaration", json={"employee": EMPLOYEE}, headers=auth(key)
    )
    assert late.status_code == 409, late.text
    assert late.headers["content-type"].startswith("application/problem+json")
    assert late.json()["code"] == "hire_declaration_late"
    read = (await deployment.gateway.get(path, headers=auth(key))).json()
    assert read["status"] == "drafted"
    assert read["hire_declaration"] == {
        "acknowledgement_id": None,
        "late_attempt_flagged": True,
        "refusals": 0,
    }


async def test_a_broken_rule_is_named_and_nothing_is_appended(deployment: Deployment) -> None:
    key = await deployment.api_key("smartfr", *SCOPES)
    before = await deployment.fetchval("contracts", "SELECT count(*) FROM events")
    body = cddu(
        "0197a3c2-5b1e-7c3d-9a4f-2e6b8d1c0f57", datetime.now(UTC) + timedelta(days=3), sector="commerce"
    )
    refused = await deployment.gateway.post("/v1/contracts", json=body, headers=auth(key))
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "contract_rule_cddu_sector"
    assert refused.json()["param"] == "body.sector"
    bad_siret = cddu(
        "0197a3c2-5b1e-7c3d-9a4f-2e6b8d1c0f57",
        datetime.now(UTC) + timedelta(days=3),
        employer={**EMPLOYER, "siret": "73282932000075"},
    )
    invalid = await deployment.gateway.post("/v1/contracts", json=bad_siret, headers=auth(key))
    assert (invalid.status_code, invalid.json()["param"]) == (400, "body.employer.siret"), invalid.text
    assert await deployment.fetchval("contracts", "SELECT count(*) FROM events") == before


async def test_contracts_are_listed_by_member_employer_status_and_period(deployment: Deployment) -> None:
    key = await deployment.api_key("alterna", *SCOPES)
    member_id = await employee(deployment, key)
    other_employer = {**EMPLOYER, "id": "8e2d4a1b-6c3f-5a90-b7e2-0d9c4f1a6b58"}
    march = datetime(2027, 3, 1, 8, tzinfo=UTC)
    june = datetime(2027, 6, 1, 8, tzinfo=UTC)
    made = []
    for starts_at, employer in ((march, EMPLOYER), (june, EMPLOYER), (june, other_employer)):
        answer = await deployment.gateway.post(
            "/v1/contracts", json=cddu(member_id, starts_at, employer=employer), headers=auth(key)
        )
        assert answer.status_code == 201, answer.text
        made.append(answer.json()["id"])
    cancelled = await deployment.gateway.post(
        f"/v1/contracts/{made[0]}/cancellation", json={"reason": "called off"}, headers=auth(key)
    )
    assert cancelled.json()["status"] == "cancelled"

    async def listed(**params: str) -> list[str]:
        answer = await deployment.gateway.get("/v1/contracts", params=params, headers=auth(key))
        assert answer.status_code == 200, answer.text
        return [c["id"] for c in answer.json()["data"]]

    async def caught_up() -> bool:
        return await listed(member_id=member_id, status="cancelled") == [made[0]]

    await until(caught_up, within=WITHIN)
    assert await listed(member_id=member_id) == made
    assert await listed(member_id=member_id, employer_id=other_employer["id"]) == [made[2]]
    assert await listed(member_id=member_id, period_from="2027-05-01", period_to="2027-06-30") == made[1:]
    assert await listed(member_id=member_id, status="drafted") == made[1:]
    not_a_date = await deployment.gateway.get("/v1/contracts", params={"period_to": "0"}, headers=auth(key))
    assert not_a_date.status_code == 400, not_a_date.text
    assert "period_to" in not_a_date.json()["param"]
    page = await deployment.gateway.get(
        "/v1/contracts", params={"member_id": member_id, "limit": "2"}, headers=auth(key)
    )
    assert page.json()["has_more"] is True
    rest = await listed(member_id=member_id, cursor=page.json()["next_cursor"])
    assert rest == made[2:]


async def test_a_cdd_is_renewed_twice_and_amended_with_a_reason(deployment: Deployment) -> None:
    key = await deployment.api_key("smartfr", *SCOPES)
    starts_at = datetime(2027, 4, 1, 7, tzinfo=UTC)
    body = cddu(
        "0197a3c2-5b1e-7c3d-9a4f-2e6b8d1c0f57",
        starts_at,
        contract_type="cdd",
        sector=None,
        reason="temporary_increase",
        ends_on="2027-06-30",
        pay={"basis": "monthly", "amount_cents": 210000},
    )
    drafted = await deployment.gateway.post("/v1/contracts", json=body, headers=auth(key))
    assert drafted.status_code == 201, drafted.text
    path = f"/v1/contracts/{drafted.json()['id']}"
    for n, ends_on in enumerate(("2027-09-30", "2027-12-31"), start=2):
        renewed = await deployment.gateway.post(
            f"{path}/renewal",
            json={"ends_on": ends_on, "reason": "the season goes on"},
            headers=auth(key, **{"If-Match": f'"{n - 1}"'}),
        )
        assert renewed.status_code == 200, renewed.text
        assert (renewed.json()["ends_on"], renewed.json()["renewals"]) == (ends_on, n - 1)
        assert renewed.headers["etag"] == f'"{n}"'
    third = await deployment.gateway.post(
        f"{path}/renewal", json={"ends_on": "2028-01-31", "reason": "once more"}, headers=auth(key)
    )
    assert (third.status_code, third.json()["code"]) == (422, "contract_rule_max_renewals"), third.text
    amended = await deployment.gateway.post(
        f"{path}/amendment",
        json={"reason": "new collective agreement", "pay": {"basis": "monthly", "amount_cents": 220000}},
        headers=auth(key),
    )
    assert amended.status_code == 200, amended.text
    assert amended.json()["pay"] == {"basis": "monthly", "amount_cents": 220000}
    no_reason = await deployment.gateway.post(
        f"{path}/amendment", json={"job_title": "Chef"}, headers=auth(key)
    )
    assert no_reason.status_code == 400, no_reason.text
