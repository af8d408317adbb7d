"""The capital table per cooperative: subscribed, paid, unpaid and repaid cents, in total, per member, and per
member category (the category is the register's current one, joined at read time: both tables are this
service's projections, so no projection needs to follow the other's events)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from members_svc.domain.shares import (
    CapitalIncreased,
    CapitalReduced,
    SharesPaid,
    SharesRepaid,
    SharesSubscribed,
)
from members_svc.domain.shares.codec import CAPITAL_CODEC, SHARES_CODEC
from services.eventstore.types import RecordedEvent
from services.log_reader import Conn


@dataclass(frozen=True)
class MemberShares:
    member_id: UUID
    share_count: int
    nominal_cents: int
    subscribed_cents: int
    paid_cents: int
    repaid_cents: int
    liability_ends_on: date | None
    version: int

    @property
    def unpaid_cents(self) -> int:
        return self.subscribed_cents - self.paid_cents


@dataclass(frozen=True)
class CapitalTable:
    subscribed_cents: int
    paid_cents: int
    repaid_cents: int
    members: int
    capital_cents: int
    historic_max_cents: int

    @property
    def unpaid_cents(self) -> int:
        return self.subscribed_cents - self.paid_cents


class CapitalProjection:
    """Projection of the shares and capital events into `member_shares` and `capital_totals`."""

    name = "capital"

    async def handle(self, conn: Conn, event: RecordedEvent) -> None:
        if event.stream_id.startswith("shares-"):
            await self._holding(conn, event)
        elif event.stream_id.startswith("capital-"):
            match CAPITAL_CODEC.decode(event):
                case CapitalIncreased() | CapitalReduced() as changed:
                    await conn.execute(
                        """INSERT INTO capital_totals (tenant, capital_cents, historic_max_cents)
                           VALUES ($1, $2, $3)
                           ON CONFLICT (tenant) DO UPDATE SET
                             capital_cents = excluded.capital_cents,
                             historic_max_cents = excluded.historic_max_cents""",
                        event.tenant,
                        changed.capital_cents,
                        changed.historic_max_cents,
                    )

    async def _holding(self, conn: Conn, event: RecordedEvent) -> None:
        match SHARES_CODEC.decode(event):
            case SharesSubscribed() as subscribed:
                await conn.execute(
                    """INSERT INTO member_shares (tenant, member_id, share_count, nominal_cents,
                         subscribed_cents, paid_cents, version)
                       VALUES ($1, $2, $3, $4, $5, 0, $6)
                       ON CONFLICT (tenant, member_id) DO UPDATE SET
                         share_count = member_shares.share_count + excluded.share_count,
                         nominal_cents = excluded.nominal_cents,
                         subscribed_cents = member_shares.subscribed_cents + excluded.subscribed_cents,
                         version = excluded.version""",
                    event.tenant,
                    subscribed.member_id,
                    subscribed.share_count,
                    subscribed.nominal_cents,
                    subscribed.amount_cents,
                    event.stream_version,
                )
            case SharesPaid() as paid:
                await conn.execute(
                    """UPDATE member_shares SET paid_cents = paid_cents + $3, version = $4
                       WHERE tenant = $1 AND member_id = $2""",
                    event.tenant,
                    paid.member_id,
                    paid.amount_cents,
                    event.stream_version,
                )
            case SharesRepaid() as repaid:
                await conn.execute(
                    """UPDATE member_shares SET share_count = 0, subscribed_cents = 0, paid_cents = 0,
                         repaid_cents = repaid_cents + $3, liability_ends_on = $4, version = $5
                       WHERE tenant = $1 AND member_id = $2""",
                    event.tenant,
                    repaid.member_id,
                    repaid.amount_cents,
                    repaid.liability_ends_on,
                    event.stream_version,
                )

    async def reset(self, conn: Conn) -> None:
        await conn.execute("TRUNCATE member_shares, capital_totals")


async def find_member_shares(conn: Conn | Any, tenant: str, member_id: UUID) -> MemberShares | None:
    row = await conn.fetchrow(
        """SELECT member_id, share_count, nominal_cents, subscribed_cents, paid_cents, repaid_cents,
                  liability_ends_on, version
           FROM member_shares WHERE tenant = $1 AND member_id = $2""",
        tenant,
        member_id,
    )
    return None if row is None else MemberShares(**dict(row))


async def capital_table(conn: Conn | Any, tenant: str) -> CapitalTable:
    row = await conn.fetchrow(
        """SELECT coalesce(sum(subscribed_cents), 0)::bigint AS subscribed_cents,
                  coalesce(sum(paid_cents), 0)::bigint AS paid_cents,
                  coalesce(sum(repaid_cents), 0)::bigint AS repaid_cents,
                  count(*) FILTER (WHERE share_count > 0)::int AS members,
                  coalesce((SELECT capital_cents FROM capital_totals WHERE tenant = $1), 0)::bigint
                    AS capital_cents,
                  coalesce((SELECT historic_max_cents FROM capital_totals WHERE tenant = $1), 0)::bigint
                    AS historic_max_cents
           FROM member_shares WHERE tenant = $1""",
        tenant,
    )
    assert row is not None  # an aggregate query always answers one row
    return CapitalTable(**dict(row))


@dataclass(frozen=True)
class CategoryCapital:
    """The capital of the members of one category (None: members registered without a category)."""

    category: int | None
    subscribed_cents: int
    paid_cents: int
    repaid_cents: int
    members: int  # members of the category holding at least one share

    @property
    def unpaid_cents(self) -> int:
        return self.subscribed_cents - self.paid_cents


async def capital_by_category(conn: Conn | Any, tenant: str) -> list[CategoryCapital]:
    """One row per category that holds or held shares, in category order (no category last)."""
    rows = await conn.fetch(
        """SELECT r.category,
                  sum(s.subscribed_cents)::bigint AS subscribed_cents,
                  sum(s.paid_cents)::bigint AS paid_cents,
                  sum(s.repaid_cents)::bigint AS repaid_cents,
                  count(*) FILTER (WHERE s.share_count > 0)::int AS members
           FROM member_shares s
           LEFT JOIN member_register r ON r.tenant = s.tenant AND r.member_id = s.member_id
           WHERE s.tenant = $1
           GROUP BY r.category
           ORDER BY r.category NULLS LAST""",
        tenant,
    )
    return [CategoryCapital(**dict(row)) for row in rows]
