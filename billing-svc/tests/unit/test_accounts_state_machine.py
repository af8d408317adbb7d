"""Random sequences on an activity account (payments, the guarantee fund, payslips and their corrections,
expense claims, reservations, releases, and resends of any of them) never break the ledger.

After every step: the balance is the sum of the entries' effects on `activity`; every entry balances and the
whole ledger sums to zero; the available budget is the balance less the open reservations; a reservation was
granted only when it fitted the available budget; and a resent command changes nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from hypothesis import event as label
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from billing_svc.accounts_codec import ACCOUNT
from billing_svc.domain.accounts import (
    BudgetExceeded,
    ClaimExpenses,
    CoverByGuaranteeFund,
    CreditPayment,
    DebitPayslip,
    ReleaseReservation,
    ReserveBudget,
    decide,
)
from billing_svc.domain.accounts.contribution import ContributionRate
from billing_svc.domain.accounts.events import BudgetReserved, Receipt
from billing_svc.domain.accounts.ledger import is_balanced

from .test_accounts import ACTIVITY, NOW

RATE = ContributionRate("smartfr", date(2022, 12, 15), None, Decimal("0.10"), "AGM 2022-12-15")
ON = date(2026, 11, 26)


class ActivityAccount(RuleBasedStateMachine):
    contracts = Bundle("contracts")
    done = Bundle("done")  # commands applied once, to be resent
    covered = Bundle("covered")  # invoices the guarantee fund advanced

    @initialize()
    def an_empty_account(self) -> None:
        self.state = ACCOUNT.initial_state
        self.entries: list[Any] = []
        self.applied: list[Any] = []  # commands decided once without a refusal

    def _decide(self, command: Any) -> list[Any]:
        try:
            events = decide(command, self.state)
        except BudgetExceeded:
            label(f"refused: {type(command).__name__}")
            return []
        self.applied.append(command)
        self.state = ACCOUNT.fold_from(self.state, events)
        self.entries += [e for event in events for e in getattr(event, "entries", ())]
        label(f"{type(command).__name__}: {[type(e).__name__ for e in events]}")
        return events

    @rule(target=done, amount=st.integers(0, 2_000_000))
    def a_payment(self, amount: int) -> Any:
        command = CreditPayment(ACTIVITY, uuid4(), uuid4(), amount, ON, RATE, NOW)
        self._decide(command)
        return command

    @rule(target=covered, amount=st.integers(1, 2_000_000))
    def the_fund_covers_an_unpaid_invoice(self, amount: int) -> Any:
        command = CoverByGuaranteeFund(ACTIVITY, uuid4(), amount, ON, RATE, NOW)
        self._decide(command)
        return command

    @rule(cover=covered)
    def the_covered_invoice_is_paid_after_all(self, cover: CoverByGuaranteeFund) -> None:
        # The money goes to the fund: the activity was credited once already.
        before = self.state.balance_cents
        self._decide(
            CreditPayment(
                ACTIVITY, uuid4(), cover.invoice_id, cover.amount_excluding_vat_cents, ON, RATE, NOW
            )
        )
        assert self.state.balance_cents == before

    @rule(target=contracts)
    def a_contract(self) -> UUID:
        return uuid4()

    @rule(contract=contracts, amount=st.integers(0, 1_500_000))
    def reserve(self, contract: UUID, amount: int) -> None:
        available = self.state.available_cents
        answered = contract in self.state.answered
        events = self._decide(ReserveBudget(ACTIVITY, contract, amount, NOW))
        if any(isinstance(e, BudgetReserved) for e in events):
            assert not answered
            assert amount <= available

    @rule(contract=contracts)
    def release(self, contract: UUID) -> None:
        self._decide(ReleaseReservation(ACTIVITY, contract, NOW))

    @rule(target=done, contract=contracts, cost=st.integers(0, 1_500_000), corrects=st.booleans())
    def a_payslip(self, contract: UUID, cost: int, corrects: bool) -> Any:
        earlier = next(iter(self.state.payslip_costs), None) if corrects else None
        command = DebitPayslip(
            ACTIVITY, uuid4(), contract, "2026-11", cost, ON, NOW, corrects_payslip_id=earlier
        )
        self._decide(command)
        assert contract not in self.state.reservations  # a payslip settles its contract's reservation
        return command

    @rule(target=done, amount=st.integers(2, 400_000), vat=st.integers(0, 50_000))
    def an_expense_claim(self, amount: int, vat: int) -> Any:
        receipt = Receipt(
            description="r", dated=date(2026, 11, 1), amount_cents=amount, vat_cents=min(vat, amount - 1)
        )
        command = ClaimExpenses(ACTIVITY, uuid4(), "Tournée", (receipt,), ON, NOW)
        self._decide(command)
        return command

    @rule(command=done)
    def a_resend(self, command: Any) -> None:
        if not any(command is applied for applied in self.applied):
            return  # refused the first time: a resend is a new attempt, which may well pass now
        before = self.state
        assert decide(command, self.state) == []
        assert self.state == before

    @invariant()
    def the_balance_is_the_sum_of_the_entries(self) -> None:
        assert self.state.balance_cents == sum(e.effect_on("activity") for e in self.entries)

    @invariant()
    def every_entry_balances_and_the_ledger_sums_to_zero(self) -> None:
        assert all(is_balanced(e) for e in self.entries)
        legs = [leg for e in self.entries for leg in e.legs]
        assert sum(leg.amount_cents * (1 if leg.side == "debit" else -1) for leg in legs) == 0

    @invariant()
    def the_available_budget_is_the_balance_less_the_open_reservations(self) -> None:
        assert self.state.available_cents == self.state.balance_cents - sum(self.state.reservations.values())
        assert all(amount >= 0 for amount in self.state.reservations.values())


ActivityAccount.TestCase.settings = settings(max_examples=80, stateful_step_count=30, deadline=None)
TestActivityAccount = ActivityAccount.TestCase
