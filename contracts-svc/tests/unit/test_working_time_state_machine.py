"""Random reports of work on a person's contracts never break the working-time limits across them.

A hypothesis state machine holds two signed contracts of one person and reports periods of work on either,
each report decided by the contract's pure decider with the person's other reported work as the handler
passes it. Whatever is accepted, the whole of it, recomputed here the plain way, stays within the limits of
the effective-dated table: per Paris day, per civil week, on average over any window of weeks, a daily rest
(no stretch of work longer than 24 h minus the rest), and no two periods overlap.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from itertools import pairwise
from uuid import UUID, uuid4

from contract_fixtures import STARTS, declared, drafted, signed
from hypothesis import event as label
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from contracts_svc.domain import contracts
from contracts_svc.domain.contracts import ReportWork, WorkPeriod
from contracts_svc.domain.contracts.calendar import PARIS
from contracts_svc.domain.contracts.rules import InvalidContractField, WorkingTimeExceeded
from contracts_svc.domain.contracts.tables import working_time_limits

LIMITS = working_time_limits(STARTS.date())
NOW = STARTS + timedelta(days=200)
periods = st.builds(
    lambda day, half_hour, halves: (day, half_hour, halves),
    st.integers(min_value=0, max_value=27),  # four weeks, so that weeks fill up
    st.integers(min_value=0, max_value=47),
    st.integers(min_value=1, max_value=24),  # 30 min to 12 h
)


def _signed_contract(contract_id: UUID) -> contracts.ContractState:
    state = contracts.initial_state
    for event in (
        drafted("cdi", contract_id=contract_id),
        declared(STARTS - timedelta(days=1), "cdi").model_copy(update={"contract_id": contract_id}),
        signed(STARTS, "cdi").model_copy(update={"contract_id": contract_id}),
    ):
        state = contracts.evolve(state, event)
    return state


def _minutes_by_paris_day(worked: list[WorkPeriod]) -> dict[date, int]:
    """Half-hour by half-hour, the plain way (not the decider's splitting at midnight): every period starts
    and ends on the half-hour grid, and so does Paris midnight in UTC."""
    found: dict[date, int] = defaultdict(int)
    for period in worked:
        step = period.starts_at
        while step < period.ends_at:
            found[step.astimezone(PARIS).date()] += 30
            step += timedelta(minutes=30)
    return found


class WorkingTime(RuleBasedStateMachine):
    @initialize()
    def two_signed_contracts(self) -> None:
        self.contracts = {contract_id: _signed_contract(contract_id) for contract_id in (uuid4(), uuid4())}
        self.worked: list[WorkPeriod] = []

    @rule(data=st.data(), batch=st.lists(periods, min_size=1, max_size=3))
    def report_work(self, data: st.DataObject, batch: list[tuple[int, int, int]]) -> None:
        contract_id = data.draw(st.sampled_from(sorted(self.contracts)))
        new = []
        for day, half_hour, halves in batch:
            starts = STARTS + timedelta(days=day, minutes=30 * half_hour)
            new.append(WorkPeriod(starts_at=starts, ends_at=starts + timedelta(minutes=30 * halves)))
        command = ReportWork(contract_id, uuid4(), tuple(new), tuple(self.worked), NOW)
        try:
            events = contracts.decide(command, self.contracts[contract_id])
        except WorkingTimeExceeded as refused:
            label(f"refused: {refused.limit}")
            return
        except InvalidContractField as refused:
            label(f"refused: {refused.field}")
            return
        label("accepted")
        for event in events:
            self.contracts[contract_id] = contracts.evolve(self.contracts[contract_id], event)
        self.worked += new

    @rule(
        data=st.data(),
        day=st.integers(min_value=0, max_value=27),
        halves=st.integers(min_value=16, max_value=20),
    )
    def a_long_day(self, data: st.DataObject, day: int, halves: int) -> None:
        """8 to 10 hours from 08:00 UTC: days like these fill a week up to its maximum."""
        self.report_work(data, [(day, 0, halves)])

    @invariant()
    def no_two_periods_overlap(self) -> None:
        ordered = sorted(self.worked, key=lambda p: p.starts_at)
        for before, after in pairwise(ordered):
            assert before.ends_at <= after.starts_at, (before, after)

    @invariant()
    def no_day_no_week_and_no_window_of_weeks_over_its_maximum(self) -> None:
        by_day = _minutes_by_paris_day(self.worked)
        assert max(by_day.values(), default=0) <= LIMITS.daily_max_hours * 60
        by_week: dict[date, int] = defaultdict(int)
        for day, minutes in by_day.items():
            by_week[day - timedelta(days=day.weekday())] += minutes
        assert max(by_week.values(), default=0) <= LIMITS.weekly_max_hours * 60
        for first in by_week:
            for start in (first - timedelta(weeks=n) for n in range(LIMITS.average_weeks)):
                window = sum(by_week.get(start + timedelta(weeks=n), 0) for n in range(LIMITS.average_weeks))
                assert window <= LIMITS.average_max_hours * 60 * LIMITS.average_weeks

    @invariant()
    def every_stretch_of_work_leaves_the_daily_rest(self) -> None:
        rest = timedelta(hours=float(LIMITS.daily_rest_hours))
        ordered = sorted(self.worked, key=lambda p: p.starts_at)
        stretch: tuple[datetime, datetime] | None = None
        for period in ordered:
            if stretch is not None and period.starts_at - stretch[1] < rest:
                stretch = (stretch[0], max(stretch[1], period.ends_at))
            else:
                stretch = (period.starts_at, period.ends_at)
            assert stretch[1] - stretch[0] <= timedelta(hours=24) - rest, stretch


WorkingTime.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
TestWorkingTime = WorkingTime.TestCase
