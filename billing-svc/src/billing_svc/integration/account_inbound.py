"""Public events that move an activity account, read as the agreed contracts say (docs: tasks' events).

billing's own receivables events are read with local models of their agreed shape (unknown fields ignored),
so this code does not wait on their generated models; contracts' and payroll's come from schemas.generated.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict

PAYMENT_RECEIVED = "billing.PaymentReceived"
FUND_COVERED = "billing.GuaranteeFundCovered"
FUND_RECOVERED = "billing.GuaranteeFundRecovered"
RESERVATION_REQUESTED = "contracts.BudgetReservationRequested"
RESERVATION_RELEASED = "contracts.BudgetReservationReleased"
PAYSLIP_ISSUED = "payroll.PayslipIssued"


class _Inbound(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class PaymentReceived(_Inbound):
    payment_id: UUID
    invoice_id: UUID
    activity_id: UUID | None
    amount_cents: int
    amount_excluding_vat_cents: int
    received_on: date
    recorded_at: AwareDatetime


class GuaranteeFundCovered(_Inbound):
    invoice_id: UUID
    activity_id: UUID | None
    amount_excluding_vat_cents: int
    covered_on: date
    recorded_at: AwareDatetime


class GuaranteeFundRecovered(_Inbound):
    invoice_id: UUID
    activity_id: UUID | None
    amount_cents: int
    amount_excluding_vat_cents: int
    recovered_on: date
    recorded_at: datetime
