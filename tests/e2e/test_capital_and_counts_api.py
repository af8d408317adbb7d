"""The register's read models through the public API: the capital table by college and category, the
membership counts by category and group (now and on a date), the register's admission and leaving dates.

Each test has a tenant of its own in this module's database, so its figures are its own.
"""

from __future__ import annotations

from typing import Any

from tests.e2e.deployments import Deployment
from tests.e2e.skeleton import auth, until

WITHIN = 30.0


async def post(deployment: Deployment, key: str, path: str, body: dict[str, Any]) -> Any:
    answer = await deployment.gateway.post(path, json=body, headers=auth(key))
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


async def admitted_member(deployment: Deployment, key: str, category: int, admitted_on: str) -> str:
    application = {"person_kind": "natural_person", "display_name": "Camille Martin", "category": category}
    member_id = str((await post(deployment, key, "/v1/members", application))["id"])
    decision = {"decided_by": "board", "admitted_on": admitted_on}
    await post(deployment, key, f"/v1/members/{member_id}/admission", decision)
    return member_id


async def test_members_are_counted_by_category_and_group_now_and_on_a_date(deployment: Deployment) -> None:
    key = await deployment.api_key("grandsensemble", "members:read", "members:write")
    # GrandsEnsemble's table: employees of the cooperative (categories 1-3), non-employees (4).
    admitted = {1: 3, 2: 1, 4: 1}
    members = {
        category: [await admitted_member(deployment, key, category, "2026-01-10") for _ in range(count)]
        for category, count in admitted.items()
    }
    await post(
        deployment, key, "/v1/members", {"person_kind": "legal_entity", "display_name": "X", "category": 1}
    )
    leaver = members[1][0]
    await post(deployment, key, f"/v1/members/{leaver}/resignation", {"resigned_on": "2026-06-30"})

    now = dict(admitted)
    now[1] -= 1

    async def register_shows_the_leaver() -> bool:
        answer = await deployment.gateway.get(f"/v1/members/{leaver}", headers=auth(key))
        body = answer.json()
        return (body["status"], body["admitted_on"], body["left_on"]) == (
            "resigned",
            "2026-01-10",
            "2026-06-30",
        )

    await until(register_shows_the_leaver, within=WITHIN)

    def expected(per_category: dict[int, int], on: str | None) -> dict[str, Any]:
        employees = sum(per_category.get(c, 0) for c in (1, 2, 3))
        return {
            "on": on,
            "members": sum(per_category.values()),
            "groups": [("employees", employees), ("non_employees", per_category.get(4, 0))],
            "categories": [(c, per_category.get(c, 0)) for c in (1, 2, 3, 4)],
        }

    def seen(body: dict[str, Any]) -> dict[str, Any]:
        return {
            "on": body["on"],
            "members": body["members"],
            "groups": [(g["code"], g["members"]) for g in body["groups"]],
            "categories": [(c["category"], c["members"]) for c in body["categories"]],
        }

    answer = await deployment.gateway.get("/v1/membership_counts", headers=auth(key))
    assert answer.status_code == 200, answer.text
    assert seen(answer.json()) == expected(now, None)
    assert answer.json()["categories"][3]["name"] == "Associé·es extérieur·es"
    # On 1 March the leaver was still a member; before the admissions nobody was.
    march = await deployment.gateway.get("/v1/membership_counts?on=2026-03-01", headers=auth(key))
    assert seen(march.json()) == expected(admitted, "2026-03-01")
    before = await deployment.gateway.get("/v1/membership_counts?on=2026-01-09", headers=auth(key))
    assert before.json()["members"] == 0
    bad = await deployment.gateway.get("/v1/membership_counts?on=2026-02-30", headers=auth(key))
    assert bad.status_code == 400
    assert "on" in bad.json()["param"]


async def test_the_capital_table_is_given_by_college_and_by_category(deployment: Deployment) -> None:
    key = await deployment.api_key("smartfr", "members:read", "members:write")
    nominal = 3000  # SmartFr's share (DOMAIN.md)
    # (category, shares subscribed, cents paid up)
    holdings = [(1, 10, 10_000), (2, 4, 12_000), (4, 2, 6_000), (7, 100, 0), (9, 50, 75_000)]
    for category, shares, paid in holdings:
        member_id = await admitted_member(deployment, key, category, "2026-01-10")
        subscription = {"share_count": shares, "subscribed_on": "2026-01-11"}
        await post(deployment, key, f"/v1/members/{member_id}/share_subscriptions", subscription)
        if paid:
            payment = {"amount_cents": paid, "paid_on": "2026-01-12"}
            await post(deployment, key, f"/v1/members/{member_id}/share_payments", payment)

    colleges = {  # SmartFr's statutes (domain/assemblies/statutes.py)
        "beneficiaries": (1, 2, 3),
        "employees": (4,),
        "partners_and_clients": (5, 6, 8),
        "economic_partners_and_local_authorities": (7, 9),
    }

    def sums(rows: list[tuple[int, int, int]]) -> tuple[int, int, int, int]:
        subscribed = sum(shares * nominal for _, shares, _ in rows)
        paid = sum(paid for _, _, paid in rows)
        return subscribed, paid, subscribed - paid, len(rows)

    want_categories = [
        (c, *sums([h for h in holdings if h[0] == c])) for c in sorted({h[0] for h in holdings})
    ]
    want_colleges = [(code, *sums([h for h in holdings if h[0] in cats])) for code, cats in colleges.items()]
    want_total = sums(holdings)

    async def capital_is_complete() -> bool:
        answer = await deployment.gateway.get("/v1/capital", headers=auth(key))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        keys = ("subscribed_cents", "paid_cents", "unpaid_cents", "members")
        return (
            tuple(body[k] for k in keys) == want_total
            and [(r["category"], *(r[k] for k in keys)) for r in body["by_category"]] == want_categories
            and [(r["college"], *(r[k] for k in keys)) for r in body["by_college"]] == want_colleges
        )

    await until(capital_is_complete, within=WITHIN)
    # Each subscription and payment was published too (members.SharesSubscribed / SharePaymentReceived).
    published = {
        event_type: await deployment.fetchval(
            "members",
            "SELECT count(*) FROM outbox"
            " WHERE envelope->>'event_type' = $1 AND envelope->>'tenant' = 'smartfr'",
            event_type,
        )
        for event_type in ("members.SharesSubscribed", "members.SharePaymentReceived")
    }
    assert published == {
        "members.SharesSubscribed": len(holdings),
        "members.SharePaymentReceived": len([h for h in holdings if h[2]]),
    }
