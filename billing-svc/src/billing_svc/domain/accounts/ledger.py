"""Double entry: every entry has two legs, a debit and a credit of the same amount, on two ledger accounts.

`activity` is the member's activity account (what the cooperative owes the activity: a credit raises its
balance); the others are the cooperative's side of each movement.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

LedgerAccount = Literal[
    "activity",  # the activity account (compte d'activité)
    "bank",  # money received from clients (or from recovery)
    "contribution_income",  # the cooperative contribution, the cooperative's revenue
    "salaries_payable",  # the employer cost of a payslip: net salary and contributions to pay
    "expenses_payable",  # what a member advanced on receipts, to reimburse
    "deductible_vat",  # the VAT on those receipts, the cooperative's to deduct
    "guarantee_fund",  # the fund that advances what a client does not pay
]
Side = Literal["debit", "credit"]


class Leg(BaseModel):
    model_config = ConfigDict(frozen=True)

    account: LedgerAccount
    side: Side
    amount_cents: int


class Entry(BaseModel):
    """Two legs that balance; `label` is what a statement shows."""

    model_config = ConfigDict(frozen=True)

    label: str
    legs: tuple[Leg, Leg]

    @model_validator(mode="after")
    def _balanced(self) -> Entry:
        if not is_balanced(self):
            raise ValueError(f"entry {self.label!r} does not balance: {self.legs}")
        return self

    def effect_on(self, account: LedgerAccount) -> int:
        """What the entry does to a ledger account's balance, counted as a liability (credit positive)."""
        return sum(
            leg.amount_cents if leg.side == "credit" else -leg.amount_cents
            for leg in self.legs
            if leg.account == account
        )


def is_balanced(entry: Entry) -> bool:
    debits = sum(leg.amount_cents for leg in entry.legs if leg.side == "debit")
    credits = sum(leg.amount_cents for leg in entry.legs if leg.side == "credit")
    return debits == credits and all(leg.amount_cents >= 0 for leg in entry.legs)


def entry(label: str, debit: LedgerAccount, credit: LedgerAccount, amount_cents: int) -> Entry:
    return Entry(
        label=label,
        legs=(
            Leg(account=debit, side="debit", amount_cents=amount_cents),
            Leg(account=credit, side="credit", amount_cents=amount_cents),
        ),
    )
