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


def corrected(pay: PayInput, changes: CorrectedInputs, *, after_the_end: bool = False) -> PayInput:
    """`after_the_end`: the contract's last payslip is issued, its end-of-contract indemnities computed on
    this period's pay as it was then. A correction of an earlier period then carries the indemnities on its
    difference of pay itself (ADR 025): it keeps the pay they were computed on (that of the payslip it
    corrects, unless that one is a correction after the end already). The last payslip's own correction
    recomputes its indemnities in full, as before."""
    named: dict[str, Any] = {
        name: getattr(changes, name)
        for name in CorrectedInputs.__slots__
        if getattr(changes, name) is not None
    }
    if not named:
        raise NothingToCorrect("name at least one input to correct")
    if after_the_end and not pay.ends_in_period and pay.indemnified_pay_cents is None:
        named["indemnified_pay_cents"] = pay.gross_pay_cents
    return replace(pay, **named)
