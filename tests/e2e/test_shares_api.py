"""Shares through the public API: subscribe, pay up in instalments, the refusals, the capital table."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from tests.e2e.deployments import Deployment
from tests.e2e.skeleton import APPLICATION, auth, until

WITHIN = 30.0
# SmartFr's nominal: 30 EUR. Other tests subscribe there too: the capital is checked by difference.
TENANT = "smartfr"


async def apply(deployment: Deployment, key: str) -> str:
    answer = await deployment.gateway.post("/v1/members", json=APPLICATION, headers=auth(key))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def post(deployment: Deployment, key: str, member_id: str, what: str, body: Any) -> Any:
    return await deployment.gateway.post(f"/v1/members/{member_id}/{what}", json=body, headers=auth(key))


async def test_a_member_subscribes_pays_in_instalments_and_the_capital_table_follows(
    deployment: Deployment,
) -> None:
    key = await deployment.api_key(TENANT, "members:read", "members:write")
    before = (await deployment.gateway.get("/v1/capital", headers=auth(key))).json()
    member_id = await apply(deployment, key)

    subscribed = await post(
        deployment, key, member_id, "share_subscriptions", {"share_count": 10, "subscribed_on": "2026-11-26"}
    )
    assert subscribed.status_code == 201, subscribed.text
    assert subscribed.json() == {
        "member_id": member_id,
        "object": "member_shares",
        "share_count": 10,
        "nominal_cents": 3000,
        "subscribed_cents": 30_000,
        "paid_cents": 0,
        "unpaid_cents": 30_000,
        "repaid_cents": 0,
        "liability_ends_on": None,
    }
    paid = await post(
        deployment, key, member_id, "share_payments", {"amount_cents": 10_000, "paid_on": "2026-11-26"}
    )
    assert paid.status_code == 201, paid.text
    assert (paid.json()["paid_cents"], paid.json()["unpaid_cents"]) == (10_000, 20_000)

    # Paying more than what is still unpaid is refused, naming the field, and appends nothing.
    too_much = await post(
        deployment, key, member_id, "share_payments", {"amount_cents": 20_001, "paid_on": "2026-11-27"}
    )
    assert too_much.status_code == 409, too_much.text
    assert too_much.headers["content-type"].startswith("application/problem+json")
    assert (too_much.json()["code"], too_much.json()["param"]) == (
        "payment_exceeds_subscription",
        "amount_cents",
    )

    # Repaying a member who has not resigned is refused.
    early = await post(
        deployment,
        key,
        member_id,
        "share_repayments",
        {"accounts_approved_on": "2027-06-15", "repaid_on": "2027-07-01"},
    )
    assert early.status_code == 409, early.text
    assert early.json()["code"] == "member_has_not_left"

    async def member_shows_the_payment() -> bool:
        answer = await deployment.gateway.get(f"/v1/members/{member_id}/shares", headers=auth(key))
        return answer.status_code == 200 and answer.json()["paid_cents"] == 10_000

    await until(member_shows_the_payment, within=WITHIN)

    subscribed_after = before["subscribed_cents"] + 30_000
    historic_max = max(before["historic_max_cents"], subscribed_after)

    async def capital_shows_it() -> bool:
        answer = await deployment.gateway.get("/v1/capital", headers=auth(key))
        assert answer.status_code == 200, answer.text
        totals = {name: value for name, value in answer.json().items() if not name.startswith("by_")}
        return totals == {
            "object": "capital",
            "subscribed_cents": subscribed_after,
            "paid_cents": before["paid_cents"] + 10_000,
            "unpaid_cents": before["unpaid_cents"] + 20_000,
            "repaid_cents": before["repaid_cents"],
            "members": before["members"] + 1,
            "historic_max_cents": historic_max,
            "floor_cents": historic_max // 4,  # a quarter of the historic maximum (multiples of 30 EUR)
        }

    await until(capital_shows_it, within=WITHIN)


async def test_concurrent_subscriptions_all_count_in_the_capital(deployment: Deployment) -> None:
    # Each appends to the tenant's capital stream: the losers of a race are replayed, none is lost (ADR 006).
    key = await deployment.api_key(TENANT, "members:read", "members:write")
    before = (await deployment.gateway.get("/v1/capital", headers=auth(key))).json()
    members = [await apply(deployment, key) for _ in range(6)]
    answers = await asyncio.gather(
        *(
            post(deployment, key, m, "share_subscriptions", {"share_count": n, "subscribed_on": "2026-11-26"})
            for n, m in enumerate(members, start=1)
        )
    )
    assert [a.status_code for a in answers] == [201] * 6, [a.text for a in answers]
    added = sum(range(1, 7)) * 3000

    async def all_counted() -> bool:
        after = (await deployment.gateway.get("/v1/capital", headers=auth(key))).json()
        return (after["subscribed_cents"], after["historic_max_cents"]) == (
            before["subscribed_cents"] + added,
            before["historic_max_cents"] + added,
        )

    await until(all_counted, within=WITHIN)


async def test_a_member_without_shares_reads_zero_and_an_unknown_member_is_404(
    deployment: Deployment,
) -> None:
    key = await deployment.api_key("alterna", "members:read", "members:write")
    member_id = await apply(deployment, key)

    async def readable() -> bool:
        answer = await deployment.gateway.get(f"/v1/members/{member_id}/shares", headers=auth(key))
        return answer.status_code == 200 and answer.json()["share_count"] == 0

    await until(readable, within=WITHIN)
    unknown = str(uuid.uuid4())
    answer = await deployment.gateway.get(f"/v1/members/{unknown}/shares", headers=auth(key))
    assert answer.status_code == 404
    subscribe = await post(
        deployment, key, unknown, "share_subscriptions", {"share_count": 1, "subscribed_on": "2026-11-26"}
    )
    assert subscribe.status_code == 404
    assert subscribe.json()["code"] == "member_not_found"
    # No nominal is known for this tenant: refused, named.
    subscribe = await post(
        deployment, key, member_id, "share_subscriptions", {"share_count": 1, "subscribed_on": "2026-11-26"}
    )
    assert subscribe.status_code == 409
    assert subscribe.json()["code"] == "nominal_not_configured"


@pytest.mark.parametrize(
    ("what", "body", "param"),
    [
        ("share_subscriptions", {"share_count": 0, "subscribed_on": "2026-11-26"}, "share_count"),
        ("share_subscriptions", {"share_count": 2}, "subscribed_on"),
        ("share_subscriptions", {"share_count": 2, "subscribed_on": "2026-02-30"}, "subscribed_on"),
        ("share_payments", {"amount_cents": -5, "paid_on": "2026-11-26"}, "amount_cents"),
        (
            "share_repayments",
            {"accounts_approved_on": "soon", "repaid_on": "2027-07-01"},
            "accounts_approved_on",
        ),
    ],
    ids=["no-share", "no-date", "bad-date", "negative-amount", "bad-approval-date"],
)
async def test_bad_input_is_a_400_naming_the_field_and_appends_nothing(
    deployment: Deployment, what: str, body: dict[str, Any], param: str
) -> None:
    key = await deployment.api_key("coop-portage", "members:read", "members:write")
    member_id = await apply(deployment, key)
    answer = await post(deployment, key, member_id, what, body)
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert param in str(answer.json().get("param")) + str(answer.json().get("errors")), answer.text
    capital = await deployment.gateway.get("/v1/capital", headers=auth(key))
    assert capital.json()["subscribed_cents"] == 0
