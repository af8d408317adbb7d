"""The receivable: what the client of one issued invoice owes, how it is paid, dunned, covered by the
guarantee fund, provisioned and written off. Opened from the invoice's issue; the invoice never changes.

Amounts in cents VAT included unless named `excluding_vat`. The part of a payment excluding VAT is pro rata of
what is owed (after credit notes); the payment that settles the invoice takes the remainder, so the parts sum
exactly to what is owed excluding VAT (and, after the fund's coverage, the recovered parts to what it
covered).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from billing_svc.domain.receivables.events import (
    EVENT_TYPES,
    CreditNoteApplied,
    DunningNoticeSent,
    GuaranteeFundCovered,
    PaymentRecorded,
    PaymentSource,
    ProvisionedAsDoubtful,
    ReceivableEvent,
    ReceivableOpened,
    WrittenOff,
)
from billing_svc.domain.receivables.rules import (
    InvalidReceivableField,
    PaymentRefused,
    ReceivableClosed,
    UnknownReceivable,
)
from billing_svc.domain.receivables.terms import CollectionTerms, late_interest

__all__ = [
    "EVENT_TYPES",
    "ApplyCreditNote",
    "Collect",
    "NoReceivable",
    "OpenReceivable",
    "ProvisionDoubtful",
    "Receivable",
    "ReceivableCommand",
    "ReceivableEvent",
    "ReceivableState",
    "RecordPayment",
    "WriteOff",
    "decide",
    "evolve",
    "initial_state",
    "stream_id",
]

MAX_REASON = 500


@dataclass(frozen=True)
class OpenReceivable:
    opened: ReceivableOpened


@dataclass(frozen=True)
class ApplyCreditNote:
    invoice_id: UUID
    credit_note_id: UUID
    total_cents: int
    excluding_vat_cents: int
    on: date
    now: datetime


@dataclass(frozen=True)
class RecordPayment:
    invoice_id: UUID
    payment_id: UUID
    amount_cents: int
    received_on: date
    now: datetime
    source: PaymentSource = "transfer"
    reference: str | None = None


@dataclass(frozen=True)
class Collect:
    """The daily collection run's look at one receivable on `on`: the notice due, the fund's coverage."""

    invoice_id: UUID
    on: date
    now: datetime
    terms: CollectionTerms


@dataclass(frozen=True)
class ProvisionDoubtful:
    invoice_id: UUID
    reason: str
    on: date
    now: datetime


@dataclass(frozen=True)
class WriteOff:
    invoice_id: UUID
    reason: str
    on: date
    now: datetime


ReceivableCommand = OpenReceivable | ApplyCreditNote | RecordPayment | Collect | ProvisionDoubtful | WriteOff


@dataclass(frozen=True)
class NoReceivable:
    pass


@dataclass(frozen=True)
class Receivable:
    opened: ReceivableOpened
    credit_notes: tuple[CreditNoteApplied, ...] = ()
    payments: tuple[PaymentRecorded, ...] = ()
    notices: tuple[DunningNoticeSent, ...] = ()
    covered: GuaranteeFundCovered | None = None
    provisioned: ProvisionedAsDoubtful | None = None
    written_off: WrittenOff | None = None

    @property
    def owed_cents(self) -> int:
        """The invoice's total less its credit notes."""
        return self.opened.total_cents - sum(c.total_cents for c in self.credit_notes)

    @property
    def owed_excluding_vat_cents(self) -> int:
        return self.opened.excluding_vat_cents - sum(c.excluding_vat_cents for c in self.credit_notes)

    @property
    def paid_cents(self) -> int:
        return sum(p.allocated_cents for p in self.payments)

    @property
    def paid_excluding_vat_cents(self) -> int:
        return sum(p.allocated_excluding_vat_cents for p in self.payments)

    @property
    def unpaid_cents(self) -> int:
        return max(0, self.owed_cents - self.paid_cents)

    @property
    def unpaid_excluding_vat_cents(self) -> int:
        return max(0, self.owed_excluding_vat_cents - self.paid_excluding_vat_cents)

    @property
    def last_step(self) -> int:
        return max((n.step for n in self.notices), default=0)

    def unpaid_on(self, day: date) -> int:
        """Unpaid at the end of `day`: credit notes and payments dated on or before it count."""
        credited = sum(c.total_cents for c in self.credit_notes if c.applied_on <= day)
        paid = sum(p.allocated_cents for p in self.payments if p.received_on <= day)
        return max(0, self.opened.total_cents - credited - paid)


ReceivableState = NoReceivable | Receivable
initial_state: ReceivableState = NoReceivable()


def _receivable(state: ReceivableState, invoice_id: UUID) -> Receivable:
    if isinstance(state, NoReceivable):
        raise UnknownReceivable(f"no issued invoice {invoice_id}")
    return state


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidReceivableField("reason", f"1 to {MAX_REASON} characters")
    return reason


def _not_before_issue(receivable: Receivable, on: date, field: str) -> None:
    if on < receivable.opened.issue_date:
        raise InvalidReceivableField(field, f"before the invoice's issue date {receivable.opened.issue_date}")


def _pro_rata(part: int, whole: int, whole_excluding_vat: int) -> int:
    if whole <= 0:
        return 0
    exact = Decimal(part) * whole_excluding_vat / whole
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def decide_payment(command: RecordPayment, state: ReceivableState) -> list[ReceivableEvent]:
    receivable = _receivable(state, command.invoice_id)
    if any(p.payment_id == command.payment_id for p in receivable.payments):
        return []  # the same payment told twice
    if command.amount_cents <= 0:
        raise InvalidReceivableField("amount_cents", "a payment is more than 0 cents")
    _not_before_issue(receivable, command.received_on, "received_on")
    if receivable.owed_cents <= 0:
        raise PaymentRefused(f"invoice {receivable.opened.number} is fully credited: nothing is owed on it")
    allocated = min(command.amount_cents, receivable.unpaid_cents)
    excess = command.amount_cents - allocated
    if excess and command.source == "client_credit":
        raise PaymentRefused(
            f"only {receivable.unpaid_cents} cents are unpaid on {receivable.opened.number}: "
            "apply no more of the client's credit"
        )
    if excess and receivable.opened.buyer_siren is None:
        raise PaymentRefused(
            f"only {receivable.unpaid_cents} cents are unpaid on {receivable.opened.number}, and the excess "
            "is kept as the credit of a client known by SIREN only: refund the buyer instead"
        )
    if allocated == receivable.unpaid_cents:  # settles it: the remainder, so the parts sum exactly
        excluding_vat = receivable.unpaid_excluding_vat_cents
    else:
        excluding_vat = _pro_rata(allocated, receivable.owed_cents, receivable.owed_excluding_vat_cents)
    return [
        PaymentRecorded(
            invoice_id=command.invoice_id,
            payment_id=command.payment_id,
            source=command.source,
            amount_cents=command.amount_cents,
            allocated_cents=allocated,
            allocated_excluding_vat_cents=excluding_vat,
            excess_cents=excess,
            to_fund=receivable.covered is not None and allocated > 0,
            received_on=command.received_on,
            reference=command.reference,
            recorded_at=command.now,
        )
    ]


def decide_credit_note(command: ApplyCreditNote, state: ReceivableState) -> list[ReceivableEvent]:
    receivable = _receivable(state, command.invoice_id)
    if any(c.credit_note_id == command.credit_note_id for c in receivable.credit_notes):
        return []
    owed = receivable.owed_cents - command.total_cents
    return [
        CreditNoteApplied(
            invoice_id=command.invoice_id,
            credit_note_id=command.credit_note_id,
            total_cents=command.total_cents,
            excluding_vat_cents=command.excluding_vat_cents,
            applied_on=command.on,
            excess_cents=max(0, receivable.paid_cents - owed),
            recorded_at=command.now,
        )
    ]


def decide_collect(command: Collect, state: ReceivableState) -> list[ReceivableEvent]:
    receivable = _receivable(state, command.invoice_id)
    if receivable.written_off is not None or receivable.unpaid_cents == 0:
        return []
    terms = command.terms
    opened = receivable.opened
    days_late = (command.on - opened.due_date).days
    step = terms.step_due(days_late)
    if step > receivable.last_step:  # the latest step due, once; steps a missed run skipped are not sent
        interest, periods = late_interest(
            receivable.unpaid_on, opened.due_date, command.on, terms.late_payment
        )
        return [
            DunningNoticeSent(
                invoice_id=command.invoice_id,
                step=step,
                sent_on=command.on,
                days_late=days_late,
                unpaid_cents=receivable.unpaid_cents,
                interest_cents=interest,
                recovery_indemnity_cents=opened.recovery_indemnity_cents,
                interest_periods=periods,
                recorded_at=command.now,
            )
        ]
    last_notice = receivable.notices[-1] if receivable.notices else None
    if (
        receivable.covered is None
        and last_notice is not None
        and last_notice.step == terms.last_step
        and command.on > last_notice.sent_on
    ):
        return [
            GuaranteeFundCovered(
                invoice_id=command.invoice_id,
                covered_on=command.on,
                unpaid_cents=receivable.unpaid_cents,
                amount_excluding_vat_cents=receivable.unpaid_excluding_vat_cents,
                recorded_at=command.now,
            )
        ]
    return []


def decide_provision(command: ProvisionDoubtful, state: ReceivableState) -> list[ReceivableEvent]:
    receivable = _receivable(state, command.invoice_id)
    reason = _reason(command.reason)
    _not_before_issue(receivable, command.on, "on")
    if receivable.provisioned is not None:
        raise ReceivableClosed(f"invoice {receivable.opened.number} is provisioned already")
    if receivable.written_off is not None or receivable.unpaid_cents == 0:
        raise ReceivableClosed(f"nothing is left to provision on invoice {receivable.opened.number}")
    return [
        ProvisionedAsDoubtful(
            invoice_id=command.invoice_id,
            reason=reason,
            provisioned_on=command.on,
            amount_excluding_vat_cents=receivable.unpaid_excluding_vat_cents,
            recorded_at=command.now,
        )
    ]


def decide_write_off(command: WriteOff, state: ReceivableState) -> list[ReceivableEvent]:
    receivable = _receivable(state, command.invoice_id)
    reason = _reason(command.reason)
    _not_before_issue(receivable, command.on, "on")
    if receivable.written_off is not None:
        raise ReceivableClosed(f"invoice {receivable.opened.number} is written off already")
    if receivable.unpaid_cents == 0:
        raise ReceivableClosed(f"nothing is left unpaid on invoice {receivable.opened.number}")
    return [
        WrittenOff(
            invoice_id=command.invoice_id,
            reason=reason,
            written_off_on=command.on,
            unpaid_cents=receivable.unpaid_cents,
            amount_excluding_vat_cents=receivable.unpaid_excluding_vat_cents,
            recorded_at=command.now,
        )
    ]


def decide(command: ReceivableCommand, state: ReceivableState) -> list[ReceivableEvent]:
    match command:
        case OpenReceivable():
            return [command.opened] if isinstance(state, NoReceivable) else []  # issued once, opened once
        case ApplyCreditNote():
            return decide_credit_note(command, state)
        case RecordPayment():
            return decide_payment(command, state)
        case Collect():
            return decide_collect(command, state)
        case ProvisionDoubtful():
            return decide_provision(command, state)
        case WriteOff():
            return decide_write_off(command, state)


def evolve(state: ReceivableState, event: ReceivableEvent) -> ReceivableState:
    if isinstance(event, ReceivableOpened):
        return Receivable(opened=event)
    if not isinstance(state, Receivable):
        return state
    match event:
        case CreditNoteApplied():
            return replace(state, credit_notes=(*state.credit_notes, event))
        case PaymentRecorded():
            return replace(state, payments=(*state.payments, event))
        case DunningNoticeSent():
            return replace(state, notices=(*state.notices, event))
        case GuaranteeFundCovered():
            return replace(state, covered=event)
        case ProvisionedAsDoubtful():
            return replace(state, provisioned=event)
        case WrittenOff():
            return replace(state, written_off=event)
    return state


def stream_id(invoice_id: UUID) -> str:
    return f"receivable-{invoice_id}"
