"""A correction's inputs: what changes on the corrected payslip's pay input; the rest is kept as issued."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from payroll_svc.domain.payroll import HeadcountBand, PayInput, Status


class NothingToCorrect(ValueError):
    """A correction that names no input to change."""


@dataclass(frozen=True, slots=True)
class CorrectedInputs:
    gross_pay_cents: int | None = None  # the pay for the work, before end-of-contract indemnities
    hours_paid: Decimal | None = None
    status: Status | None = None
    headcount: HeadcountBand | None = None
    accident_at_work_rate: Decimal | None = None
    withholding_rate: Decimal | None = None


def corrected(pay: PayInput, changes: CorrectedInputs) -> PayInput:
    named: dict[str, Any] = {
        name: getattr(changes, name)
        for name in CorrectedInputs.__slots__
        if getattr(changes, name) is not None
    }
    if not named:
        raise NothingToCorrect("name at least one input to correct")
    return replace(pay, **named)
