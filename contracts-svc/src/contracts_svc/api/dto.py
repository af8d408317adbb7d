"""What the internal contracts API takes and answers (the gateway documents the public shapes)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import Query
from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from contracts_svc.domain.contracts import Contract, ContractRenewed
from contracts_svc.domain.contracts.tables import ContractType
from contracts_svc.integration.outbound import hours_of
from contracts_svc.read_models.contract_directory import ListedContract

# Contracts are of this century: far dates would only overflow date arithmetic (a 400, not a 500).
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


def _in_range(day: date) -> date:
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"must be between {EARLIEST} and {LATEST}")
    return day


def _instant_in_range(instant: datetime) -> datetime:
    _in_range(instant.date())
    return instant


def _iso_date(value: object) -> object:
    """A query date is written YYYY-MM-DD: not a number of seconds, which pydantic would otherwise accept."""
    if isinstance(value, str) and not re.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", value):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


QueryDate = Annotated[date | None, BeforeValidator(_iso_date), Query()]
BusinessDate = Annotated[date, AfterValidator(_in_range)]
Instant = Annotated[AwareDatetime, AfterValidator(_instant_in_range)]

Lifecycle = Literal["drafted", "hire_declared", "signed", "completed", "cancelled"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EmployerIn(_In):
    id: UUID
    kind: Literal["cooperative", "association", "company", "public_body", "other"]
    legal_name: str = Field(max_length=200)
    siret: str = Field(max_length=32)
    ape_code: str = Field(max_length=8)
    street: str = Field(max_length=200)
    postal_code: str = Field(max_length=16)
    city: str = Field(max_length=100)
    occupational_health_service: str = Field(max_length=200)


class PayIn(_In):
    basis: Literal["hourly", "monthly", "none"]
    amount_cents: int = Field(ge=0, le=100_000_000)


class ContractDraft(_In):
    member_id: UUID
    employer: EmployerIn
    contract_type: ContractType
    job_title: str = Field(max_length=200)
    sector: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=64)
    starts_at: Instant
    ends_on: BusinessDate | None = None
    working_time: Literal["full_time", "part_time"] = "full_time"
    weekly_hours: Decimal = Field(default=Decimal(35), gt=0, le=48, max_digits=4, decimal_places=2)
    pay: PayIn
    employee_status: Literal["cadre", "non_cadre"] = "non_cadre"
    portage_level: Literal["junior", "senior", "forfait_jours"] | None = None
    trial_period_days: int = Field(default=0, ge=0, le=365)
    activity_id: UUID | None = None  # a member's activity (production de projets): its budget is checked


class EmployeeIdentityIn(_In):
    last_name: str = Field(max_length=80)
    first_names: str = Field(max_length=80)
    sex: Literal["F", "M"]
    birth_date: date
    birth_place: str = Field(max_length=80)
    birth_department: str | None = Field(default=None, max_length=3)
    nir: str | None = Field(default=None, max_length=21)


class HireDeclarationIn(_In):
    employee: EmployeeIdentityIn


class WorkPeriodIn(_In):
    starts_at: Instant
    ends_at: Instant


class WorkReportIn(_In):
    periods: list[WorkPeriodIn] = Field(min_length=1, max_length=62)


class RenewalIn(_In):
    ends_on: BusinessDate
    reason: str = Field(max_length=500)


class AmendmentIn(_In):
    reason: str = Field(max_length=500)
    job_title: str | None = Field(default=None, max_length=200)
    working_time: Literal["full_time", "part_time"] | None = None
    weekly_hours: Decimal | None = Field(default=None, gt=0, le=48, max_digits=4, decimal_places=2)
    pay: PayIn | None = None


class CompletionIn(_In):
    completed_on: BusinessDate


class CancellationIn(_In):
    reason: str = Field(max_length=500)


class EmployerOut(BaseModel):
    id: UUID
    kind: str
    legal_name: str
    siret: str
    ape_code: str
    street: str
    postal_code: str
    city: str
    occupational_health_service: str


class PayOut(BaseModel):
    basis: str
    amount_cents: int


class HireDeclarationOut(BaseModel):
    acknowledgement_id: str | None
    late_attempt_flagged: bool
    refusals: int


class ContractOut(BaseModel):
    id: UUID
    object: Literal["contract"] = "contract"
    member_id: UUID
    employer: EmployerOut
    contract_type: str
    job_title: str
    sector: str | None
    reason: str | None
    starts_at: datetime
    ends_on: date | None
    working_time: str
    weekly_hours: str
    pay: PayOut
    employee_status: str
    portage_level: str | None
    trial_period_days: int
    associate_by: date | None
    status: Lifecycle
    hire_declaration: HireDeclarationOut
    signed_within_legal_delay: bool | None
    renewals: int
    minutes_worked: int
    hours_worked: str
    days_worked: int
    completed_on: date | None
    drafted_at: datetime
    cancel_reason: str | None = None
    budget_reservation: BudgetReservationOut | None = None
    budget_change: BudgetChangeOut | None = None


class BudgetReservationOut(BaseModel):
    activity_id: UUID
    amount_cents: int
    status: Literal["accepted", "pending", "refused"]


class BudgetChangeOut(BaseModel):
    """The last renewal or amendment that asked the activity account for more (ADR 026): pending, it is not
    in force yet; accepted, in force; refused, dropped (the contract is as it was)."""

    kind: Literal["renewal", "amendment"]
    reservation_id: UUID
    amount_cents: int
    status: Literal["accepted", "pending", "refused"]
    available_cents: int | None


def _budget_change(contract: Contract) -> BudgetChangeOut | None:
    change = contract.budget_change
    if change is None or change.budget_top_up is None:
        return None
    top_up = change.budget_top_up
    return BudgetChangeOut(
        kind="renewal" if isinstance(change, ContractRenewed) else "amendment",
        reservation_id=top_up.reservation_id,
        amount_cents=top_up.amount_cents,
        status=top_up.status,
        available_cents=top_up.available_cents,
    )


class ContractSummary(BaseModel):
    id: UUID
    object: Literal["contract"] = "contract"
    member_id: UUID
    employer_id: UUID
    employer_kind: str
    employer_name: str
    contract_type: str
    job_title: str
    sector: str | None
    starts_at: datetime
    ends_on: date | None
    status: Lifecycle
    acknowledgement_id: str | None
    late_declaration: bool
    hours_worked: str
    days_worked: int
    completed_on: date | None


def contract_out(contract: Contract) -> ContractOut:
    employer = contract.employer
    return ContractOut(
        id=contract.contract_id,
        member_id=contract.member_id,
        employer=EmployerOut(
            id=employer.employer_id,
            kind=employer.kind,
            legal_name=employer.legal_name,
            siret=employer.siret,
            ape_code=employer.ape_code,
            street=employer.street,
            postal_code=employer.postal_code,
            city=employer.city,
            occupational_health_service=employer.occupational_health_service,
        ),
        contract_type=contract.contract_type,
        job_title=contract.job_title,
        sector=contract.sector,
        reason=contract.reason,
        starts_at=contract.starts_at,
        ends_on=contract.ends_on,
        working_time=contract.working_time,
        weekly_hours=str(contract.weekly_hours),
        pay=PayOut(basis=contract.pay.basis, amount_cents=contract.pay.amount_cents),
        employee_status=contract.status,
        portage_level=contract.portage_level,
        trial_period_days=contract.trial_period_days,
        associate_by=contract.associate_by,
        status=contract.lifecycle,
        hire_declaration=HireDeclarationOut(
            acknowledgement_id=contract.acknowledgement_id,
            late_attempt_flagged=contract.late_declaration_flagged,
            refusals=contract.declaration_refusals,
        ),
        signed_within_legal_delay=contract.signed_within_legal_delay,
        renewals=contract.renewals,
        minutes_worked=contract.minutes_worked,
        hours_worked=hours_of(contract.minutes_worked),
        days_worked=len(contract.days_worked),
        completed_on=contract.completed_on,
        drafted_at=contract.drafted_at,
        cancel_reason=contract.cancel_reason,
        budget_reservation=None
        if contract.budget_reservation is None
        else BudgetReservationOut(**contract.budget_reservation.model_dump()),
        budget_change=_budget_change(contract),
    )


def summary_out(listed: ListedContract) -> ContractSummary:
    return ContractSummary(
        id=listed.contract_id,
        member_id=listed.member_id,
        employer_id=listed.employer_id,
        employer_kind=listed.employer_kind,
        employer_name=listed.employer_name,
        contract_type=listed.contract_type,
        job_title=listed.job_title,
        sector=listed.sector,
        starts_at=listed.starts_at,
        ends_on=listed.ends_on,
        status=listed.status,
        acknowledgement_id=listed.acknowledgement_id,
        late_declaration=listed.late_declaration,
        hours_worked=hours_of(listed.minutes_worked),
        days_worked=listed.days_worked,
        completed_on=listed.completed_on,
    )
