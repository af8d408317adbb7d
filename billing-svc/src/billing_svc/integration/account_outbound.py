"""Private activity-account events -> public `billing.*` events (ids, dates and amounts only)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from pydantic import BaseModel

from billing_svc.domain.accounts import activity_effect
from billing_svc.domain.accounts.events import (
    AccountEvent,
    BudgetReservationRefused,
    BudgetReserved,
    ExpenseClaimed,
    GuaranteeFundCovered,
    PaymentCredited,
    PayslipDebited,
)
from schemas.generated.billing.activity_account_correction_credited_v1 import (
    ActivityAccountCorrectionCreditedV1,
)
from schemas.generated.billing.activity_account_credited_v1 import ActivityAccountCreditedV1
from schemas.generated.billing.activity_account_debited_v1 import ActivityAccountDebitedV1
from schemas.generated.billing.budget_reservation_refused_v1 import BudgetReservationRefusedV1
from schemas.generated.billing.budget_reserved_v1 import BudgetReservedV1
from services.command_loop import Decided
from services.envelope import Envelope


def to_public(decided: Sequence[Decided[AccountEvent]]) -> list[Envelope]:
    out = []
    for one in decided:
        public = public_of(one.event)
        if public is not None:
            name, model = public
            out.append(one.public(name, model.model_dump(mode="json")))
    return out


def public_of(event: AccountEvent) -> tuple[str, BaseModel] | None:
    match event:
        case PaymentCredited() | GuaranteeFundCovered():
            return "billing.ActivityAccountCredited", ActivityAccountCreditedV1(
                activity_id=event.activity_id,
                reason="payment" if isinstance(event, PaymentCredited) else "guarantee_fund",
                invoice_id=event.invoice_id,
                payment_id=event.payment_id if isinstance(event, PaymentCredited) else None,
                amount_excluding_vat_cents=event.amount_excluding_vat_cents,
                contribution_rate=str(event.contribution_rate),
                contribution_cents=event.contribution_cents,
                credited_cents=activity_effect(event.entries),
                on=event.on,
                balance_cents=event.balance_after_cents,
                recorded_at=event.recorded_at,
            )
        case PayslipDebited(corrects_payslip_id=UUID() as corrected) if activity_effect(event.entries) > 0:
            # A correction with a lower employer cost gives the difference back: a credit, not a debit of 0.
            return "billing.ActivityAccountCorrectionCredited", ActivityAccountCorrectionCreditedV1(
                activity_id=event.activity_id,
                payslip_id=event.payslip_id,
                corrects_payslip_id=corrected,
                contract_id=event.contract_id,
                employer_cost_cents=event.employer_cost_cents,
                credited_cents=activity_effect(event.entries),
                on=event.on,
                balance_cents=event.balance_after_cents,
                recorded_at=event.recorded_at,
            )
        case PayslipDebited() | ExpenseClaimed():
            payslip = isinstance(event, PayslipDebited)
            return "billing.ActivityAccountDebited", ActivityAccountDebitedV1(
                activity_id=event.activity_id,
                reason="payslip" if payslip else "expense_claim",
                payslip_id=event.payslip_id if isinstance(event, PayslipDebited) else None,
                contract_id=event.contract_id if isinstance(event, PayslipDebited) else None,
                expense_claim_id=event.claim_id if isinstance(event, ExpenseClaimed) else None,
                debited_cents=-activity_effect(event.entries),
                on=event.on,
                balance_cents=event.balance_after_cents,
                recorded_at=event.recorded_at,
            )
        case BudgetReserved():
            return "billing.BudgetReserved", BudgetReservedV1(
                reservation_id=event.reservation_id,
                contract_id=event.held_for,
                activity_id=event.activity_id,
                amount_cents=event.amount_cents,
                reserved_at=event.reserved_at,
            )
        case BudgetReservationRefused():
            return "billing.BudgetReservationRefused", BudgetReservationRefusedV1(
                reservation_id=event.reservation_id,
                contract_id=event.contract_id or event.reservation_id,
                activity_id=event.activity_id,
                amount_cents=event.amount_cents,
                available_cents=event.available_cents,
                refused_at=event.refused_at,
            )
    return None
