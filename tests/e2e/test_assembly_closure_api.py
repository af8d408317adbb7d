"""Closing a general assembly through the public API: the results recorded as they stand (the unit tests'
worked example), no ballot and no second closure after it, and members.AssemblyClosed published."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.e2e.deployments import Deployment
from tests.e2e.skeleton import auth

CONVOCATION = {
    "title": "AGO 2027",
    "kind": "ordinary",
    "held_on": "2027-06-15",
    "members_convened": 10,
    "resolutions": [{"title": "Approval of the 2026 accounts"}, {"title": "Appropriation of the result"}],
}


async def post(deployment: Deployment, key: str, path: str, body: dict[str, Any]) -> Any:
    return await deployment.gateway.post(path, json=body, headers=auth(key))


async def test_a_closed_assembly_keeps_its_results_and_takes_no_more_ballots(deployment: Deployment) -> None:
    key = await deployment.api_key("smartfr", "members:read", "members:write")
    convened = await post(deployment, key, "/v1/assemblies", CONVOCATION)
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
        answer = await post(deployment, key, f"/v1/assemblies/{assembly}/votes", body)
        assert answer.status_code == 201, answer.text

    closed = await post(deployment, key, f"/v1/assemblies/{assembly}/closure", {"closed_on": "2027-06-15"})
    assert closed.status_code == 200, closed.text
    assert closed.json()["participants"] == 5
    assert [(r["number"], r["yes"], r["adopted"]) for r in closed.json()["resolutions"]] == [
        (1, "62.96", True),
        (2, "37.04", False),
    ]

    late = {"member_id": str(uuid.uuid4()), "category": 1, "votes": [{"resolution": 1, "choice": "no"}]}
    refused = await post(deployment, key, f"/v1/assemblies/{assembly}/votes", late)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "assembly_closed"
    again = await post(deployment, key, f"/v1/assemblies/{assembly}/closure", {"closed_on": "2027-06-16"})
    assert again.status_code == 409
    unknown = await post(
        deployment, key, f"/v1/assemblies/{uuid.uuid4()}/closure", {"closed_on": "2027-06-16"}
    )
    assert unknown.status_code == 404
    bad = await post(deployment, key, f"/v1/assemblies/{assembly}/closure", {"closed_on": "2027-02-30"})
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
