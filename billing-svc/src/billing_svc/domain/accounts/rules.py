"""The errors the activity account's commands refuse with."""

from __future__ import annotations


class InvalidAccountField(ValueError):
    """One input is not valid; `field` names it (`receipts.0.vat_cents`)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class BudgetExceeded(Exception):
    """An expense claim beyond the activity's available budget."""

    def __init__(self, amount_cents: int, available_cents: int) -> None:
        self.amount_cents = amount_cents
        self.available_cents = available_cents
        super().__init__(
            f"the claim's {amount_cents} cents (excluding VAT) exceed the activity's available budget, "
            f"{available_cents} cents"
        )


class UnknownActivityAccount(LookupError):
    """No movement was ever recorded on this activity's account (in this tenant)."""
