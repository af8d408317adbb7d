"""The activity account: a double-entry ledger per activity, and the budget its contracts reserve.

Credited with each payment of the activity's invoices (excluding VAT) less the cooperative contribution, and
with what the guarantee fund advances on an unpaid one; debited with the employer cost of each payslip of the
activity's contracts and with its expense claims. Its balance is the sum of its entries on `activity`; the
available budget is the balance less the open reservations. Every movement is recorded once (keyed by the
payment and invoice, the payslip, the claim...), so a resent event changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any
from uuid import UUID

from billing_svc.domain.accounts.commands import (
    AccountCommand,
    ClaimExpenses,
    CoverByGuaranteeFund,
    CreditPayment,
    DebitPayslip,
    RecordFundRecovery,
    ReleaseReservation,
    ReserveBudget,
)
from billing_svc.domain.accounts.contribution import contribution_cents
from billing_svc.domain.accounts.events import (
    AccountEvent,
    BudgetReservationRefused,
    BudgetReservationReleased,
    BudgetReserved,
    ExpenseClaimed,
    GuaranteeFundCovered,
    GuaranteeFundRecovered,
    Movement,
    PaymentCredited,
    PayslipDebited,
    Receipt,
)
from billing_svc.domain.accounts.ledger import Entry, LedgerAccount, entry
from billing_svc.domain.accounts.rules import BudgetExceeded, InvalidAccountField
from billing_svc.domain.accounts.state import Account

MAX_RECEIPTS = 50
MAX_TEXT = 200
initial_state = Account()


def stream_id(activity_id: UUID) -> str:
    return f"account-{activity_id}"


def activity_effect(entries: tuple[Entry, ...]) -> int:
    return sum(e.effect_on("activity") for e in entries)


def decide(command: AccountCommand, state: Account) -> list[AccountEvent]:
    match command:
        case CreditPayment():
            return _credit_payment(command, state)
        case CoverByGuaranteeFund():
            return _cover(command, state)
        case RecordFundRecovery():
            return _recovery(command, state)
        case DebitPayslip():
            return _payslip(command, state)
        case ClaimExpenses():
            return _claim(command, state)
        case ReserveBudget():
            return _reserve(command, state)
        case ReleaseReservation():
            return _release(command, state)


def _credit_payment(command: CreditPayment, state: Account) -> list[AccountEvent]:
    if _key(command) in state.recorded or command.amount_excluding_vat_cents <= 0:
        return []
    if command.invoice_id in state.covered_invoices:
        return []  # the fund advanced this invoice: its money is the fund's, recorded as its recovery
    fields = _credited(command.amount_excluding_vat_cents, command.contribution.rate, "bank", state)
    return [
        PaymentCredited(
            activity_id=command.activity_id,
            payment_id=command.payment_id,
            invoice_id=command.invoice_id,
            on=command.received_on,
            recorded_at=command.now,
            **fields,
        )
    ]


def _credited(amount: int, rate: Decimal, source: LedgerAccount, state: Account) -> dict[str, Any]:
    """Money in for the activity (a client's, or the fund's advance), less the cooperative contribution."""
    contribution = contribution_cents(amount, rate)
    label = "Client payment (excluding VAT)" if source == "bank" else "Guarantee fund advance (excluding VAT)"
    entries = (
        entry(label, source, "activity", amount),
        entry("Cooperative contribution", "activity", "contribution_income", contribution),
    )
    return {
        "amount_excluding_vat_cents": amount,
        "contribution_rate": rate,
        "contribution_cents": contribution,
        "entries": entries,
        "balance_after_cents": state.balance_cents + activity_effect(entries),
    }


def _cover(command: CoverByGuaranteeFund, state: Account) -> list[AccountEvent]:
    if command.invoice_id in state.covered_invoices or command.amount_excluding_vat_cents <= 0:
        return []
    fields = _credited(command.amount_excluding_vat_cents, command.contribution.rate, "guarantee_fund", state)
    return [
        GuaranteeFundCovered(
            activity_id=command.activity_id,
            invoice_id=command.invoice_id,
            on=command.covered_on,
            recorded_at=command.now,
            **fields,
        )
    ]


def _recovery(command: RecordFundRecovery, state: Account) -> list[AccountEvent]:
    if _key(command) in state.recorded or command.amount_excluding_vat_cents <= 0:
        return []
    entries = (
        entry(
            "Recovered for the guarantee fund", "bank", "guarantee_fund", command.amount_excluding_vat_cents
        ),
    )
    return [
        GuaranteeFundRecovered(
            activity_id=command.activity_id,
            invoice_id=command.invoice_id,
            amount_excluding_vat_cents=command.amount_excluding_vat_cents,
            source_recorded_at=command.source_recorded_at,
            entries=entries,
            on=command.recovered_on,
            balance_after_cents=state.balance_cents,
            recorded_at=command.now,
        )
    ]


def _payslip(command: DebitPayslip, state: Account) -> list[AccountEvent]:
    """A payslip is a fact: it is debited even beyond the budget (the member is paid whatever happens)."""
    if _key(command) in state.recorded:
        return []
    corrected = state.payslip_costs.get(command.corrects_payslip_id) if command.corrects_payslip_id else None
    difference = command.employer_cost_cents - (corrected or 0)
    label = f"Employer cost, payslip {command.period}" + (" (correction)" if corrected is not None else "")
    entries: tuple[Entry, ...] = ()
    if difference > 0:
        entries = (entry(label, "activity", "salaries_payable", difference),)
    elif difference < 0:
        entries = (entry(label, "salaries_payable", "activity", -difference),)
    return [
        PayslipDebited(
            activity_id=command.activity_id,
            payslip_id=command.payslip_id,
            contract_id=command.contract_id,
            period=command.period,
            employer_cost_cents=command.employer_cost_cents,
            corrects_payslip_id=command.corrects_payslip_id if corrected is not None else None,
            confirmed_reservation_cents=_settled(command, state, difference),
            entries=entries,
            on=command.on,
            balance_after_cents=state.balance_cents + activity_effect(entries),
            recorded_at=command.now,
        )
    ]


def _settled(command: DebitPayslip, state: Account, difference: int) -> int:
    """What the payslip settles of its contract's reservation: all of it once the contract ended, else its
    own cost at most (the rest stays reserved for the contract's next payslips)."""
    held = state.reservations.get(command.contract_id, 0)
    return held if command.contract_ended else min(held, max(difference, 0))


def _claim(command: ClaimExpenses, state: Account) -> list[AccountEvent]:
    if _key(command) in state.recorded:
        return []
    description = _text("description", command.description)
    receipts = _receipts(command.receipts, command)
    amount = sum(r.amount_cents for r in receipts)
    vat = sum(r.vat_cents for r in receipts)
    if amount - vat > state.available_cents:
        raise BudgetExceeded(amount - vat, state.available_cents)
    entries = [entry(f"Expenses: {description}", "activity", "expenses_payable", amount - vat)]
    if vat:
        entries.append(entry("VAT on the receipts (deductible)", "deductible_vat", "expenses_payable", vat))
    return [
        ExpenseClaimed(
            activity_id=command.activity_id,
            claim_id=command.claim_id,
            description=description,
            receipts=receipts,
            amount_cents=amount,
            vat_cents=vat,
            entries=tuple(entries),
            on=command.on,
            balance_after_cents=state.balance_cents + activity_effect(tuple(entries)),
            recorded_at=command.now,
        )
    ]


def _receipts(receipts: tuple[Receipt, ...], command: ClaimExpenses) -> tuple[Receipt, ...]:
    if not 1 <= len(receipts) <= MAX_RECEIPTS:
        raise InvalidAccountField("receipts", f"a claim has 1 to {MAX_RECEIPTS} receipts")
    for index, receipt in enumerate(receipts):
        where = f"receipts.{index}"
        _text(f"{where}.description", receipt.description)
        if receipt.amount_cents <= 0:
            raise InvalidAccountField(f"{where}.amount_cents", "a receipt's amount is positive")
        if not 0 <= receipt.vat_cents < receipt.amount_cents:
            raise InvalidAccountField(f"{where}.vat_cents", "the VAT is 0 or more, and less than the amount")
        if receipt.dated > command.on:
            raise InvalidAccountField(f"{where}.dated", "a receipt is not dated after the claim")
    return receipts


def _text(field: str, value: str) -> str:
    stripped = value.strip()
    if not stripped or len(stripped) > MAX_TEXT:
        raise InvalidAccountField(field, f"1 to {MAX_TEXT} characters")
    return stripped


def _reserve(command: ReserveBudget, state: Account) -> list[AccountEvent]:
    if command.reservation_id in state.answered:
        return []  # a resend of the same contract's request: answered already
    if command.amount_cents > state.available_cents:
        return [
            BudgetReservationRefused(
                activity_id=command.activity_id,
                reservation_id=command.reservation_id,
                amount_cents=command.amount_cents,
                available_cents=state.available_cents,
                refused_at=command.now,
                contract_id=command.contract_id,
            )
        ]
    return [
        BudgetReserved(
            activity_id=command.activity_id,
            reservation_id=command.reservation_id,
            amount_cents=command.amount_cents,
            available_after_cents=state.available_cents - command.amount_cents,
            reserved_at=command.now,
            contract_id=command.contract_id,
        )
    ]


def _release(command: ReleaseReservation, state: Account) -> list[AccountEvent]:
    amount = state.reservations.get(command.reservation_id)
    if amount is None:
        return []  # refused, settled by a payslip, or released already
    return [
        BudgetReservationReleased(
            activity_id=command.activity_id,
            reservation_id=command.reservation_id,
            amount_cents=amount,
            released_at=command.now,
        )
    ]


def _key(command: CreditPayment | RecordFundRecovery | DebitPayslip | ClaimExpenses) -> str:
    match command:
        case CreditPayment():
            return f"payment:{command.payment_id}:{command.invoice_id}"
        case RecordFundRecovery():
            return f"recovery:{command.invoice_id}:{command.source_recorded_at.isoformat()}"
        case DebitPayslip():
            return f"payslip:{command.payslip_id}"
        case ClaimExpenses():
            return f"claim:{command.claim_id}"


def _event_key(event: Movement) -> str | None:
    match event:
        case PaymentCredited():
            return f"payment:{event.payment_id}:{event.invoice_id}"
        case GuaranteeFundRecovered():
            return f"recovery:{event.invoice_id}:{event.source_recorded_at.isoformat()}"
        case PayslipDebited():
            return f"payslip:{event.payslip_id}"
        case ExpenseClaimed():
            return f"claim:{event.claim_id}"
    return None


def evolve(state: Account, event: AccountEvent) -> Account:
    match event:
        case BudgetReserved():
            # Held per contract: an amendment's or renewal's top-up adds to what its draft reserved, so the
            # contract's payslip settles, and its cancellation releases, all of it (ADR 026).
            held = state.reservations.get(event.held_for, 0) + event.amount_cents
            return _with(
                state,
                reservations={**state.reservations, event.held_for: held},
                answered=state.answered | {event.reservation_id},
            )
        case BudgetReservationRefused():
            return _with(state, answered=state.answered | {event.reservation_id})
        case BudgetReservationReleased():
            return _with(state, reservations=_without(state, event.reservation_id))
        case PayslipDebited():
            moved = _moved(state, event)
            return _with(
                moved,
                reservations=_settling(state, event.contract_id, event.confirmed_reservation_cents),
                payslip_costs={**state.payslip_costs, event.payslip_id: event.employer_cost_cents},
            )
        case GuaranteeFundCovered():
            moved = _moved(state, event)
            return _with(moved, covered_invoices=state.covered_invoices | {event.invoice_id})
        case _:
            return _moved(state, event)


def _moved(state: Account, event: Movement) -> Account:
    key = _event_key(event)
    return _with(
        state,
        balance_cents=state.balance_cents + activity_effect(event.entries),
        recorded=state.recorded | ({key} if key else set()),
    )


def _settling(state: Account, contract_id: UUID, settled_cents: int) -> dict[UUID, int]:
    """The reservations once a payslip settled part of its contract's (payslips recorded before 2026-11-28
    settled all of it: their `confirmed_reservation_cents` is the whole)."""
    left = state.reservations.get(contract_id, 0) - settled_cents
    return {**state.reservations, contract_id: left} if left > 0 else _without(state, contract_id)


def _without(state: Account, reservation_id: UUID) -> dict[UUID, int]:
    return {k: v for k, v in state.reservations.items() if k != reservation_id}


def _with(state: Account, **changes: object) -> Account:
    return replace(state, **changes)  # type: ignore[arg-type]


__all__ = [
    "Account",
    "AccountCommand",
    "AccountEvent",
    "BudgetExceeded",
    "ClaimExpenses",
    "CoverByGuaranteeFund",
    "CreditPayment",
    "DebitPayslip",
    "InvalidAccountField",
    "RecordFundRecovery",
    "ReleaseReservation",
    "ReserveBudget",
    "activity_effect",
    "decide",
    "evolve",
    "initial_state",
    "stream_id",
]
