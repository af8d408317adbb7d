"""Membership counts by category and by the tenant's groups of categories, like the activity report's table.

The groups (SmartFr: beneficiaries 1-3, employees 4, partners 5-9) and the categories' names are tenant
configuration, in `membership_groups.json` with their source. A tenant with none there is counted per category
only. Counts come from the register (`member_register`): a member counts on a date when admitted on or before
it and not left by then; the category is the register's current one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from services.log_reader import Conn

GROUPS_FILE = Path(__file__).with_name("membership_groups.json")


@dataclass(frozen=True)
class CategoryGroup:
    code: str
    name: str
    categories: tuple[int, ...]


@dataclass(frozen=True)
class Grouping:
    """A tenant's names of categories and its groups of them (empty for a tenant not configured)."""

    category_names: dict[int, str]
    groups: tuple[CategoryGroup, ...]

    def group_of(self, category: int | None) -> CategoryGroup | None:
        return next((group for group in self.groups if category in group.categories), None)


@cache
def _configuration() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(GROUPS_FILE.read_text(encoding="utf-8"))
    return loaded


def grouping_of(tenant: str) -> Grouping:
    found = _configuration()["tenants"].get(tenant)
    if found is None:
        return Grouping(category_names={}, groups=())
    return Grouping(
        category_names={int(number): name for number, name in found["categories"].items()},
        groups=tuple(
            CategoryGroup(group["code"], group["name"], tuple(group["categories"]))
            for group in found["groups"]
        ),
    )


async def members_by_category(conn: Conn | Any, tenant: str, on: date | None) -> dict[int | None, int]:
    """Members per category: admitted and not left on `on`, or admitted now when `on` is None."""
    rows = await conn.fetch(
        """SELECT category, count(*)::int AS members
           FROM member_register
           WHERE tenant = $1
             AND CASE WHEN $2::date IS NULL THEN status = 'admitted'
                      ELSE admitted_on <= $2 AND (left_on IS NULL OR left_on > $2) END
           GROUP BY category""",
        tenant,
        on,
    )
    return {row["category"]: row["members"] for row in rows}
