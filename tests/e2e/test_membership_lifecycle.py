"""A member's life through the public API: applied, admitted, resigned, shares repaid after the AGM.

Runs in both modes. The repayment crosses two aggregates of members-svc: the leaving date comes from the
membership stream, the capital floor from the cooperative's capital stream.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.deployments import Deployment
from tests.e2e.skeleton import APPLICATION, auth, until

WITHIN = 30.0


async def post(
    deployment: Deployment, key: str, path: str, body: dict[str, Any], **headers: str
) -> httpx.Response:
    return await deployment.gateway.post(path, json=body, headers=auth(key, **headers))


async def test_a_member_is_admitted_resigns_and_is_repaid_with_a_five_year_liability(
    deployment: Deployment,
) -> None:
    key = await deployment.api_key("smartfr", "members:read", "members:write")
    applied = await post(deployment, key, "/v1/members", APPLICATION)
    member_id = applied.json()["id"]
    members = f"/v1/members/{member_id}"
    # Someone else's capital keeps the cooperative above its floor when this member leaves.
    other = (await post(deployment, key, "/v1/members", APPLICATION)).json()["id"]
    for who in (member_id, other):
        subscribed = await post(
            deployment,
            key,
            f"/v1/members/{who}/share_subscriptions",
            {"share_count": 4, "subscribed_on": "2026-11-26"},
        )
        assert subscribed.status_code == 201, subscribed.text
    paid = await post(
        deployment, key, f"{members}/share_payments", {"amount_cents": 12_000, "paid_on": "2026-11-27"}
    )
    assert paid.status_code == 201, paid.text

    admitted = await post(
        deployment, key, f"{members}/admission", {"decided_by": "board", "admitted_on": "2026-12-03"}
    )
    assert admitted.status_code == 200, admitted.text
    assert (admitted.json()["status"], admitted.json()["admitted_on"]) == ("admitted", "2026-12-03")

    twice = await post(
        deployment, key, f"{members}/admission", {"decided_by": "board", "admitted_on": "2026-12-04"}
    )
    assert twice.status_code == 409
    assert twice.json()["code"] == "member_not_an_applicant"

    stale = await post(
        deployment, key, f"{members}/resignation", {"resigned_on": "2027-06-30"}, **{"If-Match": '"1"'}
    )
    assert stale.status_code == 412, stale.text
    resigned = await post(
        deployment,
        key,
        f"{members}/resignation",
        {"resigned_on": "2027-06-30", "reason": "moving"},
        **{"If-Match": admitted.headers["etag"]},
    )
    assert resigned.status_code == 200, resigned.text
    assert (resigned.json()["status"], resigned.json()["left_on"]) == ("resigned", "2027-06-30")

    repaid = await post(
        deployment,
        key,
        f"{members}/share_repayments",
        {"accounts_approved_on": "2028-06-15", "repaid_on": "2028-07-01"},
    )
    assert repaid.status_code == 201, repaid.text
    assert repaid.json()["repaid_cents"] == 12_000
    assert repaid.json()["liability_ends_on"] == "2032-06-30"

    async def register_shows_the_resignation() -> bool:
        answer = await deployment.gateway.get(members, headers=auth(key))
        return answer.status_code == 200 and answer.json()["status"] == "resigned"

    await until(register_shows_the_resignation, within=WITHIN)


async def test_an_exclusion_states_its_reason_and_nothing_is_stored_without_one(
    deployment: Deployment,
) -> None:
    key = await deployment.api_key("alterna", "members:read", "members:write")
    member_id = (await post(deployment, key, "/v1/members", APPLICATION)).json()["id"]
    members = f"/v1/members/{member_id}"
    before = await deployment.member_events()
    not_admitted = await post(
        deployment,
        key,
        f"{members}/exclusion",
        {"decided_by": "board", "excluded_on": "2027-02-01", "reason": "art. 9"},
    )
    assert not_admitted.status_code == 409
    assert not_admitted.json()["code"] == "member_not_admitted"
    no_reason = await post(
        deployment, key, f"{members}/exclusion", {"decided_by": "board", "excluded_on": "2027-02-01"}
    )
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()["param"]
    bad_date = await post(
        deployment, key, f"{members}/admission", {"decided_by": "board", "admitted_on": "2026-13-01"}
    )
    assert bad_date.status_code == 400
    assert "admitted_on" in bad_date.json()["param"]
    assert await deployment.member_events() == before
