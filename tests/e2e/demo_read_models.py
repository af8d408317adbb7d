"""What the demo population adds up to in the read models: the capital table (in all, by category) and the
membership counts of one cooperative, polled through the gateway until they match (projections catch up).

On a deployment other tests use too, the figures read before the load are the baseline: the population adds
to them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from backoffice.demo import DemoMember
from tests.e2e.skeleton import auth, until

CAPITAL = ("subscribed_cents", "paid_cents", "unpaid_cents", "members")


@dataclass(frozen=True)
class ReadModels:
    """One cooperative's capital (in all; by category: subscribed, paid, holders) and membership counts."""

    capital: Counter[str] = field(default_factory=Counter)
    by_category: dict[int, Counter[str]] = field(default_factory=dict)
    members: int = 0
    counts: Counter[int] = field(default_factory=Counter)

    def plus(self, other: ReadModels) -> ReadModels:
        categories = self.by_category.keys() | other.by_category.keys()
        return ReadModels(
            self.capital + other.capital,
            {c: self.by_category.get(c, Counter()) + other.by_category.get(c, Counter()) for c in categories},
            self.members + other.members,
            self.counts + other.counts,
        )


def of_population(members: list[DemoMember]) -> ReadModels:
    holders = [m for m in members if m.share_count > 0]
    by_category: dict[int, Counter[str]] = {}
    for m in holders:
        row = by_category.setdefault(m.category, Counter())
        row.update({"subscribed_cents": m.subscribed_cents, "paid_cents": m.paid_cents, "members": 1})
    subscribed, paid = sum(m.subscribed_cents for m in holders), sum(m.paid_cents for m in holders)
    unpaid = subscribed - paid
    capital = Counter(
        {"subscribed_cents": subscribed, "paid_cents": paid, "unpaid_cents": unpaid, "members": len(holders)}
    )
    return ReadModels(capital, by_category, len(members), Counter(m.category for m in members))


async def read_models(gateway: httpx.AsyncClient, key: str) -> ReadModels:
    async def read(path: str) -> dict[str, Any]:
        answer = await gateway.get(path, headers=auth(key))
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    capital, counts = await read("/v1/capital"), await read("/v1/membership_counts")
    return ReadModels(
        Counter({k: capital[k] for k in CAPITAL}),
        {
            row["category"]: Counter({k: row[k] for k in ("subscribed_cents", "paid_cents", "members")})
            for row in capital["by_category"]
        },
        counts["members"],
        Counter({row["category"]: row["members"] for row in counts["categories"]}),
    )


async def read_models_add_up(
    gateway: httpx.AsyncClient,
    key: str,
    members: list[DemoMember],
    *,
    within: float,
    before: ReadModels | None = None,
) -> None:
    """Until the read models are `before` (nothing, on a fresh deployment) plus what `members` add up to."""
    want = (before or ReadModels()).plus(of_population(members))
    seen: list[ReadModels] = []

    async def adds_up() -> bool:
        seen[:] = [await read_models(gateway, key)]
        return _comparable(seen[0]) == _comparable(want)

    try:
        await until(adds_up, within=within)
    except AssertionError as failed:
        raise AssertionError(f"{failed}: read {seen}, want {want}") from None


def _comparable(models: ReadModels) -> tuple[Any, ...]:
    """Zero rows dropped: a category with no holder may be listed with zeros or not at all."""
    return (
        +models.capital,
        {c: +row for c, row in models.by_category.items() if +row},
        models.members,
        +models.counts,
    )
