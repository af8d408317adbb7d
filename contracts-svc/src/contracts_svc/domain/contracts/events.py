"""The contract aggregate's private, stored events. No personal data: the employee is a member id only."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from contracts_svc.domain.contracts.tables import ContractType

EmployerKind = Literal["cooperative", "association", "company", "public_body", "other"]
WorkingTime = Literal["full_time", "part_time"]
PayBasis = Literal["hourly", "monthly", "none"]
Status = Literal["cadre", "non_cadre"]
PortageLevel = Literal["junior", "senior", "forfait_jours"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Employer(_Frozen):
    """The legal employer as the DPAE names it (R1221-1 1°): a tenant cooperative or an employer structure."""

    employer_id: UUID
    kind: EmployerKind
    legal_name: str
    siret: str
    ape_code: str
    street: str
    postal_code: str
    city: str
    occupational_health_service: str


class Pay(_Frozen):
    """Gross pay in cents per hour or per month; `none` for a CAPE (no salary)."""

    basis: PayBasis
    amount_cents: int


class BudgetReservation(_Frozen):
    """The employer cost a member's activity contract reserved on the activity account (billing-svc's)."""

    activity_id: UUID
    amount_cents: int
    status: Literal["accepted", "pending", "refused"]  # pending: requested by event, billing's answer awaited


class WorkPeriod(_Frozen):
    """One stretch of work, UTC instants; its business day is the Paris date of its start."""

    starts_at: datetime
    ends_at: datetime


class Parties(_Frozen):
    """Who a contract binds, repeated on each event so its public counterpart is thin but complete."""

    member_id: UUID
    employer_id: UUID
    employer_kind: EmployerKind
    contract_type: ContractType


class BudgetTopUp(_Frozen):
    """The additional employer cost an amendment or a renewal of an activity's contract reserves (ADR 026).

    Its id is derived from the amendment's or renewal's (`budget_top_up.top_up_reservation_id`), so a resend
    is the same reservation; billing-svc adds it to the contract's reservation. While `pending`, the change
    it pays for waits on the contract, not in force, until billing answers."""

    reservation_id: UUID
    activity_id: UUID
    amount_cents: int
    status: Literal["accepted", "pending", "refused"]
    parties: Parties  # for the public request (contracts.BudgetReservationRequested)
    available_cents: int | None = None  # the account's available budget, given with billing's refusal


class Terms(_Frozen):
    """The pay terms in force when the work was done (a payslip is computed from them)."""

    status: Status
    pay: Pay
    weekly_hours: Decimal
    paid_leave_pay_rate: Decimal
    precarity_bonus_rate: Decimal


class ContractDrafted(_Frozen):
    contract_id: UUID
    member_id: UUID
    employer: Employer
    contract_type: ContractType
    job_title: str
    sector: str | None
    reason: str | None
    starts_at: datetime  # the hiring day and hour (the DPAE declares both)
    ends_on: date | None
    working_time: WorkingTime
    weekly_hours: Decimal
    pay: Pay
    status: Status
    portage_level: PortageLevel | None
    trial_period_days: int
    associate_by: date | None  # CAE: the day the entrepreneur-salarié must be an associate by
    drafted_at: datetime
    budget_reservation: BudgetReservation | None = None  # a member's activity contract (production)


class HireDeclared(_Frozen):
    """URSSAF acknowledged the DPAE: the contract may start. Only the acknowledgement is kept."""

    contract_id: UUID
    parties: Parties
    acknowledgement_id: str
    declared_at: datetime
    # For the statistics only (ADR 009 addendum): coarse attributes derived from the identity at the DPAE;
    # absent from the events recorded before they were kept.
    gender: Literal["F", "M"] | None = None
    age_band: str | None = None


class HireDeclarationRefused(_Frozen):
    """URSSAF refused the DPAE (the reason it gave); the contract stays drafted and may be declared again."""

    contract_id: UUID
    reason: str
    refused_at: datetime


class LateHireDeclarationFlagged(_Frozen):
    """A DPAE was attempted at or after the hiring hour: refused, and flagged for the employer's follow-up."""

    contract_id: UUID
    attempted_at: datetime
    starts_at: datetime


class ContractSigned(_Frozen):
    contract_id: UUID
    parties: Parties
    starts_at: datetime
    ends_on: date | None
    signed_at: datetime
    within_legal_delay: bool  # a CDD's written contract is due within 2 working days of the hire (L1242-13)


class WorkReported(_Frozen):
    contract_id: UUID
    parties: Parties
    terms: Terms
    periods: tuple[WorkPeriod, ...]
    minutes: int
    days: tuple[date, ...]  # the Paris business days worked in this report
    reported_at: datetime
    report_id: UUID | None = None  # from the request that sent it: a report sent again is found by it


class ContractRenewed(_Frozen):
    contract_id: UUID
    previous_ends_on: date
    ends_on: date
    reason: str
    renewed_at: datetime
    renewal_id: UUID | None = None  # from the request that sent it: a renewal sent again is found by it
    budget_top_up: BudgetTopUp | None = None  # an activity's contract: the longer term's extra cost


class ContractAmended(_Frozen):
    contract_id: UUID
    reason: str
    job_title: str | None
    weekly_hours: Decimal | None
    working_time: WorkingTime | None
    pay: Pay | None
    amended_at: datetime
    amendment_id: UUID | None = None  # from the request that sent it: an amendment sent again is found by it
    budget_top_up: BudgetTopUp | None = None  # an activity's contract: the new terms' extra cost


class ContractCompleted(_Frozen):
    contract_id: UUID
    parties: Parties
    terms: Terms
    starts_on: date
    completed_on: date
    minutes_worked: int
    days_worked: int
    first_day_worked: date | None
    last_day_worked: date | None
    completed_at: datetime


class ContractCancelled(_Frozen):
    contract_id: UUID
    parties: Parties
    reason: str
    cancelled_at: datetime
    released_reservation: BudgetReservation | None = None  # given back to the activity account


class BudgetReservationAnswered(_Frozen):
    """billing-svc answered a pending reservation (domain/contracts/budget_answer.py)."""

    contract_id: UUID
    status: Literal["accepted", "refused"]
    available_cents: int | None  # the account's available budget, given with a refusal
    answered_at: datetime
    # The top-up of an amendment or renewal it answers (ADR 026); None: the draft's reservation.
    reservation_id: UUID | None = None


ContractEvent = (
    ContractDrafted
    | HireDeclared
    | HireDeclarationRefused
    | LateHireDeclarationFlagged
    | ContractSigned
    | WorkReported
    | ContractRenewed
    | ContractAmended
    | ContractCompleted
    | ContractCancelled
    | BudgetReservationAnswered
)
