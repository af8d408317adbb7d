"""What the demo population adds up to in the read models: the capital table (in all, by category) and the
membership counts of one cooperative, polled through the gateway until they match (projections catch up)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx

from backoffice.demo import DemoMember
from tests.e2e.skeleton import auth, until


async def read_models_add_up(
    gateway: httpx.AsyncClient, key: str, members: list[DemoMember], *, within: float
) -> None:
    holders = [m for m in members if m.share_count > 0]
    subscribed = sum(m.subscribed_cents for m in holders)
    paid = sum(m.paid_cents for m in holders)
    want_capital = {
        "subscribed_cents": subscribed,
        "paid_cents": paid,
        "unpaid_cents": subscribed - paid,
        "members": len(holders),
    }
    want_by_category = {
        category: (
            sum(m.subscribed_cents for m in holders if m.category == category),
            sum(m.paid_cents for m in holders if m.category == category),
            sum(1 for m in holders if m.category == category),
        )
        for category in {m.category for m in holders}
    }
    want_counts = dict(Counter(m.category for m in members))

    async def read(path: str) -> dict[str, Any]:
        answer = await gateway.get(path, headers=auth(key))
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def capital_adds_up() -> bool:
        body = await read("/v1/capital")
        by_category = {
            row["category"]: (row["subscribed_cents"], row["paid_cents"], row["members"])
            for row in body["by_category"]
        }
        return {k: body[k] for k in want_capital} == want_capital and by_category == want_by_category

    async def counts_add_up() -> bool:
        body = await read("/v1/membership_counts")
        counted = {row["category"]: row["members"] for row in body["categories"] if row["members"]}
        return body["members"] == len(members) and counted == want_counts

    await until(capital_adds_up, within=within)
    await until(counts_add_up, within=within)
