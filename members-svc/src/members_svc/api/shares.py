"""Shares (parts sociales): subscribe, pay up in instalments, repay a leaver; read a member's and the capital.

A subscription or a repayment appends to the member's `shares-<member>` stream and to the tenant's
`capital-<tenant>` stream in one transaction (ADR 006): the capital stream's optimistic concurrency is what
keeps two repayments from both passing the floor of Code de commerce L231-5.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from members_svc.bootstrap import CODEC as MEMBERSHIP_CODEC
from members_svc.bootstrap import MEMBERSHIP, Members
from members_svc.command_runner import CommandRunner
from members_svc.domain import membership
from members_svc.domain import shares as domain
from members_svc.domain.assemblies.colleges import college_of
from members_svc.domain.assemblies.statutes import configuration_of
from members_svc.domain.shares.codec import CAPITAL, CAPITAL_CODEC, SHARES, SHARES_CODEC
from members_svc.domain.shares.rules import (
    AccountsNotApprovedSinceLeaving,
    CapitalBelowFloor,
    InvalidAmount,
    InvalidShareCount,
    MemberHasLeft,
    MemberHasNotLeft,
    MemberNotFound,
    NoSharesSubscribed,
    PaymentExceedsSubscription,
    SharesAlreadyRepaid,
    UnknownNominal,
    nominal_cents,
)
from members_svc.integration.shares_outbound import to_public
from members_svc.read_models.capital import (
    CategoryCapital,
    capital_by_category,
    capital_table,
    find_member_shares,
)
from members_svc.read_models.member_register import find_member
from services import command_loop
from services.caller import CurrentCaller, require_scope
from services.eventstore.errors import ConcurrencyConflict
from services.http import Problem, current_request_id
from services.http.preconditions import etag
from services.ids import new_event_id
from services.log_reader import Conn
from services.request_keys import CurrentRequestKey, id_for
from services.telemetry import current_traceparent
from services.tenancy import tenant_transaction

router = APIRouter(prefix="/internal")
RETRIES = 5  # a transaction that lost the race on the capital stream is replayed from the start
T = TypeVar("T")


def _conflict(code: str, param: str | None = None) -> Callable[[Exception], Problem]:
    return lambda error: Problem(409, code, detail=str(error), param=param)


PROBLEM_MAPPERS: dict[type[Exception], Callable[[Exception], Problem]] = {
    MemberNotFound: lambda error: Problem(404, "member_not_found", detail=str(error)),
    UnknownNominal: _conflict("nominal_not_configured"),
    MemberHasLeft: _conflict("member_has_left"),
    InvalidShareCount: lambda error: Problem(
        400, "invalid_share_count", detail=str(error), param="share_count"
    ),
    InvalidAmount: lambda error: Problem(400, "invalid_amount", detail=str(error), param="amount_cents"),
    NoSharesSubscribed: _conflict("no_shares_subscribed"),
    PaymentExceedsSubscription: _conflict("payment_exceeds_subscription", "amount_cents"),
    MemberHasNotLeft: _conflict("member_has_not_left"),
    AccountsNotApprovedSinceLeaving: _conflict("accounts_not_approved_since_leaving", "accounts_approved_on"),
    SharesAlreadyRepaid: _conflict("shares_already_repaid"),
    CapitalBelowFloor: _conflict("capital_below_floor"),
}


# ---- what the internal API accepts and answers ------------------------------------


class ShareSubscription(BaseModel):
    model_config = ConfigDict(extra="forbid")

    share_count: int = Field(ge=1, le=1_000_000)
    subscribed_on: date


class SharePayment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_cents: int = Field(ge=1, le=10**12)
    paid_on: date


class ShareRepayment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accounts_approved_on: date
    repaid_on: date


class MemberSharesOut(BaseModel):
    member_id: UUID
    object: Literal["member_shares"] = "member_shares"
    share_count: int
    nominal_cents: int | None
    subscribed_cents: int
    paid_cents: int
    unpaid_cents: int
    repaid_cents: int
    liability_ends_on: date | None


class CapitalOfCategory(BaseModel):
    category: int | None
    college: str | None
    subscribed_cents: int
    paid_cents: int
    unpaid_cents: int
    repaid_cents: int
    members: int


class CapitalOfCollege(BaseModel):
    college: str | None
    name: str | None
    categories: list[int]
    subscribed_cents: int
    paid_cents: int
    unpaid_cents: int
    repaid_cents: int
    members: int


class CapitalOut(BaseModel):
    object: Literal["capital"] = "capital"
    subscribed_cents: int
    paid_cents: int
    unpaid_cents: int
    repaid_cents: int
    members: int
    historic_max_cents: int
    floor_cents: int
    by_college: list[CapitalOfCollege]
    by_category: list[CapitalOfCategory]


# ---- the command side ----------------------------------------------------------


class ShareRegister:
    """Runs the shares commands: the member's stream and, when the capital changes, the tenant's."""

    def __init__(self, members: Members) -> None:
        self.resources = members.resources

    async def subscribe(
        self, member_id: UUID, body: ShareSubscription, tenant: str, subscription_id: UUID
    ) -> domain.SharesState:
        configured: dict[str, int] = getattr(self.resources.settings, "share_nominals", None) or {}

        async def work(conn: Conn) -> domain.SharesState:
            await _queue_on_capital(conn, tenant)
            standing = await self._standing(conn, member_id, tenant)
            nominal = nominal_cents(tenant, configured) if standing.exists else 0
            command = domain.SubscribeShares(
                member_id=member_id,
                share_count=body.share_count,
                nominal_cents=nominal,
                subscribed_on=body.subscribed_on,
                standing=standing,
                now=datetime.now(UTC),
                subscription_id=subscription_id,
            )
            handled = await self._shares(conn, command, tenant)
            for event in handled.events:  # none when the subscription was recorded already
                assert isinstance(event, domain.SharesSubscribed)
                await self._capital(conn, domain.IncreaseCapital(member_id, event.amount_cents), tenant)
            return handled.state

        return await self._transaction(work)

    async def pay(
        self, member_id: UUID, body: SharePayment, tenant: str, payment_id: UUID
    ) -> domain.SharesState:
        async def work(conn: Conn) -> domain.SharesState:
            standing = await self._standing(conn, member_id, tenant)
            command = domain.PayForShares(
                member_id=member_id,
                amount_cents=body.amount_cents,
                paid_on=body.paid_on,
                standing=standing,
                now=datetime.now(UTC),
                payment_id=payment_id,
            )
            return (await self._shares(conn, command, tenant)).state

        return await self._transaction(work)

    async def repay(
        self, member_id: UUID, body: ShareRepayment, tenant: str, repayment_id: UUID
    ) -> domain.SharesState:
        async def work(conn: Conn) -> domain.SharesState:
            await _queue_on_capital(conn, tenant)
            standing = await self._standing(conn, member_id, tenant)
            command = domain.RepayShares(
                member_id=member_id,
                accounts_approved_on=body.accounts_approved_on,
                repaid_on=body.repaid_on,
                standing=standing,
                now=datetime.now(UTC),
                repayment_id=repayment_id,
            )
            handled = await self._shares(conn, command, tenant)
            for event in handled.events:  # none when the repayment was recorded already
                assert isinstance(event, domain.SharesRepaid)
                if event.capital_cancelled_cents > 0:
                    reduction = domain.ReduceCapital(member_id, event.capital_cancelled_cents)
                    await self._capital(conn, reduction, tenant)
            return handled.state

        return await self._transaction(work)

    async def _transaction(self, work: Callable[[Conn], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            try:
                async with self.resources.pool.acquire() as conn, conn.transaction():
                    result = await work(conn)
            except ConcurrencyConflict:
                if attempt >= RETRIES:
                    raise
                attempt += 1
                continue
            self.resources.store.committed()
            return result

    async def _standing(self, conn: Conn, member_id: UUID, tenant: str) -> domain.MemberStanding:
        """The member as their membership stream says: known, and when they left (if the state tells it)."""
        recorded = await self.resources.store.read_stream(
            membership.stream_id(member_id), tenant=tenant, conn=conn
        )
        state = MEMBERSHIP.fold(MEMBERSHIP_CODEC.decode(r) for r in recorded)
        if isinstance(state, membership.NoMembership):
            return domain.MemberStanding(exists=False)
        left_on = getattr(state, "left_on", None)  # set by the membership states of a leaver
        return domain.MemberStanding(exists=True, left_on=left_on if isinstance(left_on, date) else None)

    async def _shares(
        self, conn: Conn, command: domain.ShareCommand, tenant: str
    ) -> command_loop.Handled[domain.ShareEvent, domain.SharesState]:
        runner = CommandRunner(
            self.resources.store, SHARES, SHARES_CODEC, lambda c: domain.stream_id(c.member_id), to_public
        )
        return await runner.run(command, tenant=tenant, conn=conn)

    async def _capital(self, conn: Conn, command: domain.CapitalCommand, tenant: str) -> None:
        """Decide on the capital stream's last event alone (it carries the running totals) and append."""
        store = self.resources.store
        stream = domain.capital_stream_id(tenant)
        version = await store.stream_version(stream, conn)
        last = (
            await store.read_stream(stream, from_version=version, tenant=tenant, conn=conn) if version else []
        )
        state = CAPITAL.fold(CAPITAL_CODEC.decode(r) for r in last)
        events = CAPITAL.decide(command, state)
        new = [CAPITAL_CODEC.encode(event, event_id=new_event_id()) for event in events]
        await store.append(stream, version, new, tenant=tenant, metadata=_metadata(), conn=conn)


async def _queue_on_capital(conn: Conn, tenant: str) -> None:
    """Wait for the tenant's other capital changes to commit: a race is then rare rather than lost work (the
    capital stream's version check stays what guarantees the floor)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", domain.capital_stream_id(tenant))


def _metadata() -> dict[str, Any]:
    return {"correlation_id": current_request_id() or None, "traceparent": current_traceparent()}


async def _register(request: Request) -> ShareRegister:  # async: no worker-thread hop
    members: Members = request.app.state.service
    register: ShareRegister | None = getattr(request.app.state, "share_register", None)
    if register is None:
        register = ShareRegister(members)
        request.app.state.share_register = register
    return register


RegisterDep = Annotated[ShareRegister, Depends(_register)]


def _out(state: domain.SharesState, member_id: UUID) -> MemberSharesOut:
    match state:
        case domain.Shareholding():
            return MemberSharesOut(
                member_id=member_id,
                share_count=state.share_count,
                nominal_cents=state.nominal_cents,
                subscribed_cents=state.subscribed_cents,
                paid_cents=state.paid_cents,
                unpaid_cents=state.unpaid_cents,
                repaid_cents=0,
                liability_ends_on=None,
            )
        case domain.SharesRepaidToLeaver():
            return MemberSharesOut(
                member_id=member_id,
                share_count=0,
                nominal_cents=None,
                subscribed_cents=0,
                paid_cents=0,
                unpaid_cents=0,
                repaid_cents=state.repaid_cents,
                liability_ends_on=state.liability_ends_on,
            )
        case domain.NoShares():
            return _none(member_id)


def _none(member_id: UUID) -> MemberSharesOut:
    return MemberSharesOut(
        member_id=member_id,
        share_count=0,
        nominal_cents=None,
        subscribed_cents=0,
        paid_cents=0,
        unpaid_cents=0,
        repaid_cents=0,
        liability_ends_on=None,
    )


# ---- the routes ----------------------------------------------------------------


# Each movement's id comes from the request's key: run again after its answer was lost, the request finds
# its movement recorded and answers the holding as it stands, recording nothing twice (ADR 023).


@router.post("/members/{member_id}/share_subscriptions", status_code=201)
async def subscribe_shares(
    member_id: UUID,
    body: ShareSubscription,
    caller: CurrentCaller,
    register: RegisterDep,
    request_key: CurrentRequestKey,
) -> MemberSharesOut:
    require_scope(caller, "members:write")
    subscription_id = id_for(request_key, "share subscription")
    return _out(await register.subscribe(member_id, body, caller.tenant, subscription_id), member_id)


@router.post("/members/{member_id}/share_payments", status_code=201)
async def pay_for_shares(
    member_id: UUID,
    body: SharePayment,
    caller: CurrentCaller,
    register: RegisterDep,
    request_key: CurrentRequestKey,
) -> MemberSharesOut:
    require_scope(caller, "members:write")
    payment_id = id_for(request_key, "share payment")
    return _out(await register.pay(member_id, body, caller.tenant, payment_id), member_id)


@router.post("/members/{member_id}/share_repayments", status_code=201)
async def repay_shares(
    member_id: UUID,
    body: ShareRepayment,
    caller: CurrentCaller,
    register: RegisterDep,
    request_key: CurrentRequestKey,
) -> MemberSharesOut:
    require_scope(caller, "members:write")
    repayment_id = id_for(request_key, "share repayment")
    return _out(await register.repay(member_id, body, caller.tenant, repayment_id), member_id)


@router.get("/members/{member_id}/shares")
async def read_member_shares(
    member_id: UUID, caller: CurrentCaller, register: RegisterDep, response: Response
) -> MemberSharesOut:
    require_scope(caller, "members:read")
    async with tenant_transaction(register.resources.pool, caller.tenant) as conn:
        found = await find_member_shares(conn, caller.tenant, member_id)
        known = found is not None or await find_member(conn, caller.tenant, member_id) is not None
    if not known:
        raise Problem(404, "member_not_found", detail=f"no member {member_id}")
    if found is None:
        return _none(member_id)
    response.headers["ETag"] = etag(found.version)
    return MemberSharesOut(
        member_id=found.member_id,
        share_count=found.share_count,
        nominal_cents=found.nominal_cents,
        subscribed_cents=found.subscribed_cents,
        paid_cents=found.paid_cents,
        unpaid_cents=found.unpaid_cents,
        repaid_cents=found.repaid_cents,
        liability_ends_on=found.liability_ends_on,
    )


@router.get("/capital")
async def read_capital(caller: CurrentCaller, register: RegisterDep) -> CapitalOut:
    require_scope(caller, "members:read")
    async with tenant_transaction(register.resources.pool, caller.tenant) as conn:
        table = await capital_table(conn, caller.tenant)
        categories = await capital_by_category(conn, caller.tenant)
    by_college, by_category = _breakdown(caller.tenant, categories)
    return CapitalOut(
        subscribed_cents=table.subscribed_cents,
        paid_cents=table.paid_cents,
        unpaid_cents=table.unpaid_cents,
        repaid_cents=table.repaid_cents,
        members=table.members,
        historic_max_cents=table.historic_max_cents,
        floor_cents=-(-table.historic_max_cents // 4),
        by_college=by_college,
        by_category=by_category,
    )


def _breakdown(
    tenant: str, categories: list[CategoryCapital]
) -> tuple[list[CapitalOfCollege], list[CapitalOfCategory]]:
    """Per category, and per college of the tenant's statutes (every college listed, with 0 if empty; the
    members with no category or one in no college under `college: null`)."""
    colleges = configuration_of(tenant).colleges
    by_category = []
    sums: dict[str | None, list[int]] = {college.code: [0, 0, 0, 0] for college in colleges}
    for row in categories:
        college = None if row.category is None else college_of(colleges, row.category)
        code = None if college is None else college.code
        by_category.append(
            CapitalOfCategory(
                category=row.category,
                college=code,
                subscribed_cents=row.subscribed_cents,
                paid_cents=row.paid_cents,
                unpaid_cents=row.unpaid_cents,
                repaid_cents=row.repaid_cents,
                members=row.members,
            )
        )
        total = sums.setdefault(code, [0, 0, 0, 0])
        for i, value in enumerate((row.subscribed_cents, row.paid_cents, row.repaid_cents, row.members)):
            total[i] += value
    names = {college.code: college for college in colleges}
    by_college = [
        CapitalOfCollege(
            college=code,
            name=None if code is None else names[code].name,
            categories=[] if code is None else list(names[code].categories),
            subscribed_cents=subscribed,
            paid_cents=paid,
            unpaid_cents=subscribed - paid,
            repaid_cents=repaid,
            members=members,
        )
        for code, (subscribed, paid, repaid, members) in sums.items()
    ]
    return by_college, by_category
