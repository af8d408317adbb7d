"""The contract pay record's private events: work recorded from contracts' reports, pay periods closed."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class PayTerms(BaseModel):
    """The contract's pay terms as contracts-svc published them with the work (or the completion)."""

    model_config = ConfigDict(frozen=True)

    contract_type: str
    status: str
    pay_basis: str  # hourly or monthly
    monthly_gross_cents: int | None
    weekly_hours: Decimal
    employer_is_association: bool


class WorkRecorded(BaseModel):
    """A contracts.WorkReported, kept until a payslip pays it. `month` is the month of its last day."""

    model_config = ConfigDict(frozen=True)

    contract_id: UUID
    member_id: UUID
    employer_id: UUID
    report_id: UUID  # the WorkReported envelope's event id
    terms: PayTerms
    month: date
    minutes: int
    gross_cents: int | None  # hourly pay; None for a monthly pay
    period_start: date
    period_end: date
    recorded_at: datetime


class PayPeriodClosed(BaseModel):
    """What one payslip of the contract pays: the work of a month (or the remainder at completion).

    `final` is the contract's last payslip: the end-of-contract indemnities are due on it, on `pay_cents`
    and on `earlier_pay_cents` (the pay of the contract's earlier payslips, as corrected before it).
    """

    model_config = ConfigDict(frozen=True)

    contract_id: UUID
    member_id: UUID
    employer_id: UUID
    payslip_id: UUID
    period: date  # the month's first day
    terms: PayTerms
    report_ids: tuple[UUID, ...]
    minutes: int
    hours_paid: Decimal
    pay_cents: int
    first_day: date  # the first and last calendar days of the contract in the month that are paid here
    last_day: date
    last_day_worked: date  # the 7-day promise counts from it
    final: bool
    earlier_pay_cents: int
    closed_at: datetime


class PayCorrected(BaseModel):
    """A payslip of the contract was corrected: its pay for the work (before the end-of-contract indemnities)
    changed by `pay_difference_cents`. Before the last payslip, the difference counts in its indemnities'
    base; after it, the correction payslip carries the indemnities on the difference itself (ADR 025)."""

    model_config = ConfigDict(frozen=True)

    contract_id: UUID
    payslip_id: UUID  # the payslip corrected
    correction_id: UUID  # the payslip that corrects it
    pay_difference_cents: int
    corrected_at: datetime


ContractPayEvent = WorkRecorded | PayPeriodClosed | PayCorrected
EVENT_TYPES: dict[str, type[ContractPayEvent]] = {
    "WorkRecorded": WorkRecorded,
    "PayPeriodClosed": PayPeriodClosed,
    "PayCorrected": PayCorrected,
}
