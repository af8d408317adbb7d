"""What the contract aggregate knows, as a closed union of frozen states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from contracts_svc.domain.contracts.events import (
    BudgetReservation,
    ContractAmended,
    ContractRenewed,
    Employer,
    Parties,
    Pay,
    PortageLevel,
    Status,
    Terms,
    WorkingTime,
    WorkPeriod,
)
from contracts_svc.domain.contracts.tables import RULES, ContractType

Lifecycle = Literal["drafted", "hire_declared", "signed", "completed", "cancelled"]


@dataclass(frozen=True)
class NoContract:
    """The stream is empty."""


@dataclass(frozen=True)
class Contract:
    contract_id: UUID
    member_id: UUID
    employer: Employer
    contract_type: ContractType
    job_title: str
    sector: str | None
    reason: str | None
    starts_at: datetime
    first_ends_on: date | None  # the end first agreed, before renewals
    ends_on: date | None
    working_time: WorkingTime
    weekly_hours: Decimal
    pay: Pay
    status: Status
    portage_level: PortageLevel | None
    trial_period_days: int
    associate_by: date | None
    drafted_at: datetime
    lifecycle: Lifecycle = "drafted"
    acknowledgement_id: str | None = None
    late_declaration_flagged: bool = False
    declaration_refusals: int = 0
    signed_within_legal_delay: bool | None = None
    renewals: int = 0
    periods: tuple[WorkPeriod, ...] = ()
    minutes_worked: int = 0
    days_worked: frozenset[date] = frozenset()
    completed_on: date | None = None
    cancel_reason: str | None = None
    budget_reservation: BudgetReservation | None = None
    # The last amendment or renewal that asked the activity account for more (ADR 026), its top-up's status
    # kept current: while pending, its change waits here, not in force.
    budget_change: ContractRenewed | ContractAmended | None = None
    # The ids of the work reports, renewals and amendments recorded: one sent again is found here.
    moves_recorded: frozenset[UUID] = frozenset()

    @property
    def change_awaiting_budget(self) -> ContractRenewed | ContractAmended | None:
        change = self.budget_change
        if change is None or change.budget_top_up is None or change.budget_top_up.status != "pending":
            return None
        return change

    def recorded(self, move_id: UUID) -> bool:
        return move_id in self.moves_recorded

    def with_move(self, move_id: UUID | None) -> frozenset[UUID]:
        return self.moves_recorded if move_id is None else self.moves_recorded | {move_id}

    @property
    def parties(self) -> Parties:
        return Parties(
            member_id=self.member_id,
            employer_id=self.employer.employer_id,
            employer_kind=self.employer.kind,
            contract_type=self.contract_type,
        )

    @property
    def terms(self) -> Terms:
        rules = RULES[self.contract_type]
        return Terms(
            status=self.status,
            pay=self.pay,
            weekly_hours=self.weekly_hours,
            paid_leave_pay_rate=rules.paid_leave_pay_rate,
            precarity_bonus_rate=rules.precarity_bonus_rate,
        )


ContractState = NoContract | Contract
