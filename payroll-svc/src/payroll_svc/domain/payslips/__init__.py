"""The payslip aggregate (stream `payslip-<id>`): issued once, never edited; a correction is a new payslip
that names the one it corrects, and the corrected one records that it was (once: correct the latest)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from payroll_svc.domain.payroll import Earning, PayInput, PayLine, Payslip
from services.decider import Decider


def stream_id(payslip_id: UUID) -> str:
    return f"payslip-{payslip_id}"


class IssuedLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    label: str
    base_cents: int
    employee_rate: Decimal
    employer_rate: Decimal
    employee_cents: int
    employer_cents: int


class IssuedEarning(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    label: str
    amount_cents: int


class PayslipIssued(BaseModel):
    """The whole computed payslip, so that its document can be rendered again without recomputing it."""

    model_config = ConfigDict(frozen=True)

    payslip_id: UUID
    contract_id: UUID
    member_id: UUID
    employer_id: UUID
    period: date  # the month's first day
    contract_type: str
    hours_paid: Decimal
    last_day_worked: date
    corrects_payslip_id: UUID | None
    earnings: tuple[IssuedEarning, ...]
    lines: tuple[IssuedLine, ...]
    gross_cents: int
    ceiling_cents: int
    employee_contributions_cents: int
    employer_contributions_cents: int
    net_before_tax_cents: int
    net_taxable_cents: int
    withholding_rate: Decimal
    withholding_cents: int
    net_paid_cents: int
    rgdu_coefficient: Decimal
    rgdu_cents: int
    employer_cost_cents: int
    smic_cents: int
    issued_at: datetime
    pay: PayInput | None = None  # what it was computed from, so that a correction changes only what it names

    def payslip(self) -> Payslip:
        return Payslip(
            earnings=tuple(Earning(e.code, e.label, e.amount_cents) for e in self.earnings),
            lines=tuple(
                PayLine(
                    line.code,
                    line.label,
                    line.base_cents,
                    line.employee_rate,
                    line.employer_rate,
                    line.employee_cents,
                    line.employer_cents,
                )
                for line in self.lines
            ),
            gross_cents=self.gross_cents,
            ceiling_cents=self.ceiling_cents,
            employee_contributions_cents=self.employee_contributions_cents,
            employer_contributions_cents=self.employer_contributions_cents,
            net_before_tax_cents=self.net_before_tax_cents,
            net_taxable_cents=self.net_taxable_cents,
            withholding_rate=self.withholding_rate,
            withholding_cents=self.withholding_cents,
            net_paid_cents=self.net_paid_cents,
            rgdu_coefficient=self.rgdu_coefficient,
            rgdu_cents=self.rgdu_cents,
            employer_cost_cents=self.employer_cost_cents,
            smic_cents=self.smic_cents,
        )


class PayslipCorrected(BaseModel):
    """The payslip is superseded by `correction_id` (its figures stay as issued)."""

    model_config = ConfigDict(frozen=True)

    payslip_id: UUID
    correction_id: UUID
    reason: str
    corrected_at: datetime


PayslipEvent = PayslipIssued | PayslipCorrected
EVENT_TYPES: dict[str, type[PayslipEvent]] = {
    "PayslipIssued": PayslipIssued,
    "PayslipCorrected": PayslipCorrected,
}


@dataclass(frozen=True, slots=True)
class IssuePayslip:
    payslip_id: UUID
    contract_id: UUID
    member_id: UUID
    employer_id: UUID
    period: date
    contract_type: str
    hours_paid: Decimal
    last_day_worked: date
    payslip: Payslip
    now: datetime
    corrects_payslip_id: UUID | None = None
    pay: PayInput | None = None


@dataclass(frozen=True, slots=True)
class CorrectPayslip:
    """Supersede the payslip by `correction_id`, issued in the same transaction from the corrected inputs.
    The correction's id comes from its request: the same correction sent again is found, not made twice."""

    payslip_id: UUID
    correction_id: UUID
    reason: str
    now: datetime


PayslipCommand = IssuePayslip | CorrectPayslip


@dataclass(frozen=True, slots=True)
class NoPayslipYet:
    pass


@dataclass(frozen=True, slots=True)
class CorrectedPayslip:
    issued: PayslipIssued
    correction_id: UUID


PayslipState = NoPayslipYet | PayslipIssued | CorrectedPayslip


class PayslipAlreadyIssued(Exception):
    """The payslip exists with other figures: a change is a correction, i.e. a new payslip naming this one."""


class UnknownPayslip(LookupError):
    pass


class PayslipAlreadyCorrected(Exception):
    """A corrected payslip is not corrected again: its correction is (the latest payslip)."""


class NotCorrectable(Exception):
    """The payslip was issued before its inputs were kept with it: a correction could not say what changed."""


def issued(command: IssuePayslip) -> PayslipIssued:
    payslip = command.payslip
    return PayslipIssued(
        payslip_id=command.payslip_id,
        contract_id=command.contract_id,
        member_id=command.member_id,
        employer_id=command.employer_id,
        period=command.period,
        contract_type=command.contract_type,
        hours_paid=command.hours_paid,
        last_day_worked=command.last_day_worked,
        corrects_payslip_id=command.corrects_payslip_id,
        earnings=tuple(
            IssuedEarning(code=e.code, label=e.label, amount_cents=e.amount_cents) for e in payslip.earnings
        ),
        lines=tuple(IssuedLine(**line._asdict()) for line in payslip.lines),
        gross_cents=payslip.gross_cents,
        ceiling_cents=payslip.ceiling_cents,
        employee_contributions_cents=payslip.employee_contributions_cents,
        employer_contributions_cents=payslip.employer_contributions_cents,
        net_before_tax_cents=payslip.net_before_tax_cents,
        net_taxable_cents=payslip.net_taxable_cents,
        withholding_rate=payslip.withholding_rate,
        withholding_cents=payslip.withholding_cents,
        net_paid_cents=payslip.net_paid_cents,
        rgdu_coefficient=payslip.rgdu_coefficient,
        rgdu_cents=payslip.rgdu_cents,
        employer_cost_cents=payslip.employer_cost_cents,
        smic_cents=payslip.smic_cents,
        issued_at=command.now,
        pay=command.pay,
    )


def decide(command: PayslipCommand, state: PayslipState) -> list[PayslipEvent]:
    match command:
        case IssuePayslip():
            current = state.issued if isinstance(state, CorrectedPayslip) else state
            if isinstance(current, PayslipIssued):
                if current.payslip() == command.payslip:
                    return []  # the same payslip again (a repeated completion): nothing new
                raise PayslipAlreadyIssued(
                    f"payslip {command.payslip_id} is issued with other figures: correct it by a new payslip"
                )
            return [issued(command)]
        case CorrectPayslip():
            if isinstance(state, NoPayslipYet):
                raise UnknownPayslip(f"no payslip {command.payslip_id}")
            if isinstance(state, CorrectedPayslip):
                if state.correction_id == command.correction_id:
                    return []  # the same correction sent again (its answer lost): corrected already
                raise PayslipAlreadyCorrected(
                    f"payslip {command.payslip_id} is corrected by {state.correction_id}: correct that one"
                )
            if state.pay is None:
                raise NotCorrectable(f"payslip {command.payslip_id} was issued before its inputs were kept")
            return [
                PayslipCorrected(
                    payslip_id=command.payslip_id,
                    correction_id=command.correction_id,
                    reason=command.reason,
                    corrected_at=command.now,
                )
            ]


def evolve(state: PayslipState, event: PayslipEvent) -> PayslipState:
    match event:
        case PayslipIssued():
            return event
        case PayslipCorrected():
            assert isinstance(state, PayslipIssued)
            return CorrectedPayslip(state, event.correction_id)


payslip_decider: Decider[PayslipCommand, PayslipEvent, PayslipState] = Decider(
    decide=decide, evolve=evolve, initial_state=NoPayslipYet()
)
