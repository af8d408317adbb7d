"""General assemblies through the public API: convene, cast votes, read the weighted result per resolution,
close the vote (the results then stand and no ballot follows)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.e2e.deployments import Deployment
from tests.e2e.skeleton import auth, until

WITHIN = 30.0
CONVOCATION = {
    "title": "AGO 2027",
    "kind": "ordinary",
    "held_on": "2027-06-15",
    "members_convened": 10,
    "resolutions": [{"title": "Approval of the 2026 accounts"}, {"title": "Appropriation of the result"}],
}


async def convene(deployment: Deployment, key: str) -> str:
    answer = await deployment.gateway.post("/v1/assemblies", json=CONVOCATION, headers=auth(key))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def ballot(
    deployment: Deployment, key: str, assembly: str, category: int, *votes: tuple[int, str], member: str = ""
) -> Any:
    body = {
        "member_id": member or str(uuid.uuid4()),
        "category": category,
        "votes": [{"resolution": n, "choice": c} for n, c in votes],
    }
    return await deployment.gateway.post(f"/v1/assemblies/{assembly}/votes", json=body, headers=auth(key))


async def test_the_weighted_result_shares_the_weight_of_a_college_with_no_vote(
    deployment: Deployment,
) -> None:
    key = await deployment.api_key("smartfr", "members:read", "members:write")
    assembly = await convene(deployment, key)
    # The worked example of the unit tests: 9 of 10 members convened vote on resolution 1.
    for category, choice in [(1, "yes"), (2, "yes"), (3, "yes"), (1, "no"), (4, "yes"), (4, "no")]:
        answer = await ballot(deployment, key, assembly, category, (1, choice))
        assert answer.status_code == 201, answer.text
    for category, choice in [(5, "yes"), (6, "no"), (8, "abstain")]:
        answer = await ballot(deployment, key, assembly, category, (1, choice))
        assert answer.status_code == 201, answer.text
        assert answer.json()["college"] == "partners_and_clients"

    read: dict[str, Any] = {}

    async def counted() -> bool:
        answer = await deployment.gateway.get(f"/v1/assemblies/{assembly}", headers=auth(key))
        read.update(answer.json())
        return answer.status_code == 200 and answer.json()["participants"] == 9

    await until(counted, within=WITHIN)
    assert read["quorum_reached"] is True
    first, second = read["resolutions"]
    # (25 × 3/4 + 25 × 1/2 + 40 × 1/2) / 90 × 100 = 56.94 %: the economic partners' 10 % shared pro rata.
    assert first["yes"] == "56.94"
    assert first["adopted"] is True
    weights = {c["college"]: c["effective_weight"] for c in first["colleges"]}
    assert weights == {
        "beneficiaries": "27.78",
        "employees": "27.78",
        "partners_and_clients": "44.44",
        "economic_partners_and_local_authorities": "0.00",
    }
    assert second["yes"] == "0.00"
    assert second["adopted"] is False
    assert [c["weight"] for c in read["colleges"]] == ["25", "25", "40", "10"]


async def test_a_member_votes_once_per_resolution(deployment: Deployment) -> None:
    key = await deployment.api_key("coop-portage", "members:read", "members:write")
    assembly = await convene(deployment, key)
    member = str(uuid.uuid4())
    assert (await ballot(deployment, key, assembly, 4, (1, "yes"), member=member)).status_code == 201
    again = await ballot(deployment, key, assembly, 4, (1, "no"), member=member)
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "already_voted"
    assert (await ballot(deployment, key, assembly, 4, (2, "no"), member=member)).status_code == 201
    other_college = await ballot(deployment, key, assembly, 1, (2, "no"), member=member)
    assert other_college.status_code == 400
    assert other_college.json()["param"] == "category"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({**CONVOCATION, "resolutions": []}, "resolutions"),
        ({**CONVOCATION, "kind": "annual"}, "kind"),
        ({**CONVOCATION, "members_convened": 0}, "members_convened"),
        ({**CONVOCATION, "held_on": "15/06/2027"}, "held_on"),
        ({**CONVOCATION, "title": "AGO\u0000"}, "title"),
    ],
    ids=["no-resolution", "unknown-kind", "nobody-convened", "bad-date", "nul-in-title"],
)
async def test_a_bad_convocation_is_a_400_naming_the_field(
    deployment: Deployment, body: dict[str, Any], param: str
) -> None:
    key = await deployment.api_key("smartfr", "members:write")
    answer = await deployment.gateway.post("/v1/assemblies", json=body, headers=auth(key))
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert param in answer.json()["param"]


async def test_a_bad_ballot_is_refused_naming_the_field(deployment: Deployment) -> None:
    key = await deployment.api_key("alterna", "members:read", "members:write")
    assembly = await convene(deployment, key)
    for category, votes, param in [
        (10, [(1, "yes")], "category"),
        (1, [(3, "yes")], "votes"),
        (1, [(1, "maybe")], "votes"),
        (1, [], "votes"),
    ]:
        answer = await ballot(deployment, key, assembly, category, *votes)
        assert answer.status_code == 400, answer.text
        assert param in answer.json()["param"]
    unknown = await ballot(deployment, key, str(uuid.uuid4()), 1, (1, "yes"))
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "assembly_not_found"


async def test_convening_needs_the_write_scope(deployment: Deployment) -> None:
    key = await deployment.api_key("smartfr", "members:read")
    answer = await deployment.gateway.post("/v1/assemblies", json=CONVOCATION, headers=auth(key))
    assert answer.status_code == 403


async def post_json(deployment: Deployment, key: str, path: str, body: dict[str, Any]) -> Any:
    return await deployment.gateway.post(path, json=body, headers=auth(key))


# ---- closing an assembly -----------------------------------------------------------------


async def test_a_closed_assembly_keeps_its_results_and_takes_no_more_ballots(deployment: Deployment) -> None:
    key = await deployment.api_key("smartfr", "members:read", "members:write")
    convened = await deployment.gateway.post("/v1/assemblies", json=CONVOCATION, headers=auth(key))
    assert convened.status_code == 201, convened.text
    assembly = convened.json()["id"]
    # test_assembly_closure.py's example: resolution 1 at 1700/27 %, resolution 2 at 1000/27 %.
    ballots = [
        (1, ("yes", "yes")),
        (2, ("yes", "no")),
        (3, ("no", "no")),
        (4, ("no", "yes")),
        (5, ("yes", "no")),
    ]
    for category, (first, second) in ballots:
        body = {
            "member_id": str(uuid.uuid4()),
            "category": category,
            "votes": [{"resolution": 1, "choice": first}, {"resolution": 2, "choice": second}],
        }
        answer = await post_json(deployment, key, f"/v1/assemblies/{assembly}/votes", body)
        assert answer.status_code == 201, answer.text

    closed = await post_json(
        deployment, key, f"/v1/assemblies/{assembly}/closure", {"closed_on": "2027-06-15"}
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["participants"] == 5
    assert [(r["number"], r["yes"], r["adopted"]) for r in closed.json()["resolutions"]] == [
        (1, "62.96", True),
        (2, "37.04", False),
    ]

    late = {"member_id": str(uuid.uuid4()), "category": 1, "votes": [{"resolution": 1, "choice": "no"}]}
    refused = await post_json(deployment, key, f"/v1/assemblies/{assembly}/votes", late)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "assembly_closed"
    again = await post_json(
        deployment, key, f"/v1/assemblies/{assembly}/closure", {"closed_on": "2027-06-16"}
    )
    assert again.status_code == 409
    unknown = await post_json(
        deployment, key, f"/v1/assemblies/{uuid.uuid4()}/closure", {"closed_on": "2027-06-16"}
    )
    assert unknown.status_code == 404
    bad = await post_json(deployment, key, f"/v1/assemblies/{assembly}/closure", {"closed_on": "2027-02-30"})
    assert bad.status_code == 400
    assert "closed_on" in bad.json()["param"]

    published = await deployment.fetchval(
        "members",
        "SELECT envelope->'data'->'resolutions' FROM outbox"
        " WHERE envelope->>'event_type' = 'members.AssemblyClosed' AND envelope->'data'->>'assembly_id' = $1",
        assembly,
    )
    assert isinstance(published, str)
    assert [(r["number"], r["yes_percent"], r["adopted"]) for r in json.loads(published)] == [
        (1, "62.96", True),
        (2, "37.04", False),
    ]
