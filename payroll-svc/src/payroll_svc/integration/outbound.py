"""Private payroll events -> public `payroll.*` events: ids, dates and cents; no names, no bank details."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from payroll_svc.domain.payments import SalaryPaid, SalaryPaymentRejected, SalaryScheduled
from payroll_svc.domain.payslips import PayslipIssued
from schemas.generated.payroll.payslip_issued_v1 import PayslipIssuedV1
from schemas.generated.payroll.salary_paid_v1 import SalaryPaidV1
from schemas.generated.payroll.salary_payment_rejected_v1 import SalaryPaymentRejectedV1
from schemas.generated.payroll.salary_payment_scheduled_v1 import SalaryPaymentScheduledV1
from services.command_loop import Decided
from services.envelope import Envelope

_PUBLIC_PAYSLIP = {
    "payslip_id",
    "contract_id",
    "member_id",
    "employer_id",
    "corrects_payslip_id",
    "gross_cents",
    "net_before_tax_cents",
    "net_taxable_cents",
    "withholding_cents",
    "net_paid_cents",
    "employer_cost_cents",
    "issued_at",
    "lines",
}


def _public_of(event: Any) -> tuple[str, BaseModel] | None:
    match event:
        case PayslipIssued():
            # One dump with the lines (a dump per line cost a third of the translation).
            data = event.model_dump(mode="json", include=_PUBLIC_PAYSLIP)
            # Without its inputs (issued before they were kept) a payslip says nothing of the contract's end.
            ended = event.pay.ends_in_period if event.pay is not None else None
            return "payroll.PayslipIssued", PayslipIssuedV1.model_validate(
                {**data, "period": f"{event.period:%Y-%m}", "contract_ended": ended}
            )
        case SalaryScheduled():
            return "payroll.SalaryPaymentScheduled", SalaryPaymentScheduledV1.model_validate(
                event.model_dump(mode="json")
            )
        case SalaryPaid():
            return "payroll.SalaryPaid", SalaryPaidV1.model_validate(event.model_dump(mode="json"))
        case SalaryPaymentRejected():
            return "payroll.SalaryPaymentRejected", SalaryPaymentRejectedV1.model_validate(
                event.model_dump(mode="json")
            )
    return None


def to_public(decided: Sequence[Decided[Any]]) -> list[Envelope]:
    out = []
    for d in decided:
        public = _public_of(d.event)
        if public is not None:
            name, model = public
            out.append(d.public(name, model.model_dump(mode="json")))
    return out
