"""What an activity account knows: its balance, its open reservations, and what it has already recorded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID


@dataclass(frozen=True)
class Account:
    balance_cents: int = 0
    reservations: Mapping[UUID, int] = field(default_factory=dict)  # open: contract id -> amount held for it
    answered: frozenset[UUID] = frozenset()  # reservations reserved or refused once (a resend is a no-op)
    recorded: frozenset[str] = frozenset()  # the movements' keys (payment:invoice, payslip, claim, ...)
    covered_invoices: frozenset[UUID] = frozenset()  # their later money goes to the fund
    payslip_costs: Mapping[UUID, int] = field(default_factory=dict)  # what each payslip's debit stands for

    @property
    def reserved_cents(self) -> int:
        return sum(self.reservations.values())

    @property
    def available_cents(self) -> int:
        """The budget a member may still turn into salary or expenses: the balance less open reservations."""
        return self.balance_cents - self.reserved_cents
