"""Random sequences of share commands on the pure deciders never break the capital's invariants.

A hypothesis state machine plays members who subscribe, pay up, leave and ask for repayment, composed as the
API's ShareRegister composes them (ADR 006): a member's command, then the capital stream's, all or nothing
(a refusal of either leaves both streams unchanged). After every step: the capital never falls below a
quarter of its historic maximum, rounded up; the historic maximum never decreases; the capital is the sum of
the subscriptions not repaid; no member has paid more than subscribed, nor less than nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from hypothesis import event as label
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from members_svc.domain.shares import (
    Capital,
    IncreaseCapital,
    MemberStanding,
    NoShares,
    PayForShares,
    ReduceCapital,
    RepayShares,
    Shareholding,
    SharesRepaid,
    SharesRepaidToLeaver,
    SharesState,
    SubscribeShares,
    decide,
    decide_capital,
    evolve,
    evolve_capital,
    initial_capital,
    initial_state,
)
from members_svc.domain.shares.rules import CapitalBelowFloor, nominal_cents

NOMINAL = nominal_cents("smartfr")
START = date(2027, 1, 4)
REFUSALS = (ValueError, LookupError)  # every refusal of the shares deciders is one of these


class Shares(RuleBasedStateMachine):
    members = Bundle("members")

    @initialize()
    def open_the_register(self) -> None:
        self.holdings: dict[UUID, SharesState] = {}
        self.left_on: dict[UUID, date] = {}
        self.capital: Capital = initial_capital
        self.highest_seen = 0
        self.today = START

    def _now(self) -> datetime:
        return datetime.combine(self.today, datetime.min.time(), UTC)

    def _standing(self, member: UUID) -> MemberStanding:
        return MemberStanding(exists=True, left_on=self.left_on.get(member))

    def _run(self, member: UUID, command: object, capital_change: object | None) -> None:
        """The member's command and the capital's, in one transaction: both applied, or neither."""
        try:
            events = decide(command, self.holdings[member])  # type: ignore[arg-type]
            after = self.holdings[member]
            for event in events:
                after = evolve(after, event)
            capital = self.capital
            change = capital_change(events) if callable(capital_change) else None
            if change is not None:
                for event in decide_capital(change, capital):
                    capital = evolve_capital(capital, event)
        except CapitalBelowFloor:
            label("a repayment refused below the floor")
            return
        except REFUSALS as refused:
            label(f"refused: {type(refused).__name__}")
            return
        label(f"applied: {type(command).__name__}")
        self.holdings[member], self.capital = after, capital

    @rule(target=members)
    def a_person_joins(self) -> UUID:
        member = uuid4()
        self.holdings[member] = initial_state
        return member

    @rule(member=members, count=st.integers(min_value=-1, max_value=40))
    def subscribe(self, member: UUID, count: int) -> None:
        standing = self._standing(member)
        command = SubscribeShares(member, count, NOMINAL, self.today, standing, self._now(), uuid4())
        increase = lambda events: IncreaseCapital(member, sum(e.amount_cents for e in events))  # noqa: E731
        self._run(member, command, increase)

    @rule(member=members, cents=st.integers(min_value=-100, max_value=40 * NOMINAL))
    def pay(self, member: UUID, cents: int) -> None:
        command = PayForShares(member, cents, self.today, self._standing(member), self._now(), uuid4())
        self._run(member, command, None)

    @rule(member=members)
    def leave(self, member: UUID) -> None:
        self.left_on.setdefault(member, self.today)

    @rule(member=members, approval_delay=st.integers(min_value=-30, max_value=400))
    def repay(self, member: UUID, approval_delay: int) -> None:
        approved = self.left_on.get(member, self.today) + timedelta(days=approval_delay)
        command = RepayShares(member, approved, approved, self._standing(member), self._now(), uuid4())

        def reduction(events: list[object]) -> ReduceCapital | None:
            repaid = [e for e in events if isinstance(e, SharesRepaid)]
            cancelled = sum(e.capital_cancelled_cents for e in repaid)
            return ReduceCapital(member, cancelled) if cancelled else None

        self._run(member, command, reduction)

    @rule(days=st.integers(min_value=1, max_value=200))
    def time_passes(self, days: int) -> None:
        self.today += timedelta(days=days)

    @invariant()
    def the_capital_never_falls_below_a_quarter_of_its_highest(self) -> None:
        assert self.capital.capital_cents >= -(-self.capital.historic_max_cents // 4)

    @invariant()
    def the_highest_capital_never_decreases_and_is_the_highest_reached(self) -> None:
        assert self.capital.historic_max_cents >= self.highest_seen
        assert self.capital.historic_max_cents >= self.capital.capital_cents
        self.highest_seen = self.capital.historic_max_cents

    @invariant()
    def the_capital_is_the_sum_of_the_subscriptions_not_repaid(self) -> None:
        held = [s for s in self.holdings.values() if isinstance(s, Shareholding)]
        assert self.capital.capital_cents == sum(s.subscribed_cents for s in held)

    @invariant()
    def nobody_has_paid_more_than_subscribed(self) -> None:
        for state in self.holdings.values():
            assert isinstance(state, NoShares | Shareholding | SharesRepaidToLeaver)
            if isinstance(state, Shareholding):
                assert 0 <= state.paid_cents <= state.subscribed_cents
                assert state.subscribed_cents == state.share_count * NOMINAL


Shares.TestCase.settings = settings(max_examples=100, stateful_step_count=30, deadline=None)
TestShares = Shares.TestCase
