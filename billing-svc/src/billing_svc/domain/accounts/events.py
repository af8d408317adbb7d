"""The activity account's private, stored events (stream `account-<activity_id>`).

A movement event carries its ledger entries and the balance after it, so a statement reads as recorded even
if a rate table changes later. Reservations are not entries: they hold part of the balance back.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from billing_svc.domain.accounts.ledger import Entry


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class _Movement(_Frozen):
    activity_id: UUID
    entries: tuple[Entry, ...]
    on: date  # the business day (Europe/Paris) it belongs to on a statement
    balance_after_cents: int
    recorded_at: datetime


class PaymentCredited(_Movement):
    """A client's payment of an activity's invoice: its part excluding VAT, less the contribution."""

    payment_id: UUID
    invoice_id: UUID
    amount_excluding_vat_cents: int
    contribution_rate: Decimal
    contribution_cents: int


class GuaranteeFundCovered(_Movement):
    """The fund advances an unpaid invoice's part excluding VAT, less the contribution as on a payment."""

    invoice_id: UUID
    amount_excluding_vat_cents: int
    contribution_rate: Decimal
    contribution_cents: int


class GuaranteeFundRecovered(_Movement):
    """Money recovered on a covered invoice goes back to the fund: the activity's balance does not move."""

    invoice_id: UUID
    amount_excluding_vat_cents: int
    source_recorded_at: datetime


class PayslipDebited(_Movement):
    """The employer cost of a payslip of one of the activity's contracts."""

    payslip_id: UUID
    contract_id: UUID
    period: str
    employer_cost_cents: int
    corrects_payslip_id: UUID | None = None
    confirmed_reservation_cents: int  # what the payslip settles of its contract's reservation (0: none open)


class Receipt(_Frozen):
    description: str
    dated: date
    amount_cents: int  # VAT included, as on the receipt
    vat_cents: int


class ExpenseClaimed(_Movement):
    """Expenses a member advanced for the activity; the activity bears them excluding the deductible VAT."""

    claim_id: UUID
    description: str
    receipts: tuple[Receipt, ...]
    amount_cents: int
    vat_cents: int


class BudgetReserved(_Frozen):
    activity_id: UUID
    reservation_id: UUID  # the contract's id, or an amendment's or renewal's top-up's (ADR 026)
    amount_cents: int
    available_after_cents: int
    reserved_at: datetime
    # The contract it is held for, under which a top-up adds to the draft's reservation; None before ADR 026
    # (the reservation id was the contract's).
    contract_id: UUID | None = None

    @property
    def held_for(self) -> UUID:
        return self.contract_id or self.reservation_id


class BudgetReservationRefused(_Frozen):
    activity_id: UUID
    reservation_id: UUID
    amount_cents: int
    available_cents: int
    refused_at: datetime
    contract_id: UUID | None = None  # as on BudgetReserved


class BudgetReservationReleased(_Frozen):
    activity_id: UUID
    reservation_id: UUID
    amount_cents: int
    released_at: datetime


Movement = PaymentCredited | GuaranteeFundCovered | GuaranteeFundRecovered | PayslipDebited | ExpenseClaimed
AccountEvent = Movement | BudgetReserved | BudgetReservationRefused | BudgetReservationReleased

EVENT_TYPES: dict[str, type[AccountEvent]] = {
    "PaymentCredited": PaymentCredited,
    "GuaranteeFundCovered": GuaranteeFundCovered,
    "GuaranteeFundRecovered": GuaranteeFundRecovered,
    "PayslipDebited": PayslipDebited,
    "ExpenseClaimed": ExpenseClaimed,
    "BudgetReserved": BudgetReserved,
    "BudgetReservationRefused": BudgetReservationRefused,
    "BudgetReservationReleased": BudgetReservationReleased,
}
