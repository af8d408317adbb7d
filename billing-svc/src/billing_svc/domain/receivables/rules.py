"""The errors receivable commands refuse with."""

from __future__ import annotations


class InvalidReceivableField(ValueError):
    """One input is not valid; `field` names it (`received_on`)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class UnknownReceivable(LookupError):
    """No issued invoice (so no receivable) under this id, in this tenant."""


class PaymentRefused(Exception):
    """The invoice cannot take this payment (a draft, discarded, fully credited, an excess without SIREN)."""


class ReceivableClosed(Exception):
    """Written off already, or nothing left unpaid: the command has nothing to act on."""


class NotEnoughClientCredit(Exception):
    """The client's credit is less than the amount to apply or refund (`available_cents`: what it is)."""

    def __init__(self, buyer_siren: str, available_cents: int, asked_cents: int) -> None:
        self.available_cents = available_cents
        super().__init__(f"the client {buyer_siren} has {available_cents} cents of credit, not {asked_cents}")
