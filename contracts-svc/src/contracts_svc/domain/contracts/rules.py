"""The errors contract commands refuse with; each says which rule, and `field` names the input at fault."""

from __future__ import annotations


class InvalidContractField(ValueError):
    """One input of a command is not valid; `field` names it (`ends_on`, `employee.nir`)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class ContractRuleBroken(ValueError):
    """The contract breaks a rule of its type; `rule` names it (`cddu_sector`, `portage_minimum_pay`)."""

    def __init__(self, rule: str, message: str, field: str | None = None) -> None:
        self.rule = rule
        self.field = field
        super().__init__(message)


class ContractAlreadyExists(Exception):
    """A contract is drafted once under its id."""


class UnknownContract(LookupError):
    """No contract under this id (in this tenant)."""


class LifecycleRefused(Exception):
    """The command does not follow from where the contract is (sign before the DPAE, report on a draft...)."""


class BudgetReservationPending(Exception):
    """The contract's budget reservation awaits billing's answer: no DPAE nor signature on a budget that may
    still be refused (ADR 016); the caller reads the contract until the reservation is accepted."""


class HireDeclarationTooEarly(Exception):
    """A DPAE is sent at the earliest 8 days before the hiring hour (R1221-5)."""


class HireDeclarationLate(Exception):
    """A DPAE at or after the hiring hour is refused (and flagged on the contract)."""


class HireDeclarationRefusedByUrssaf(Exception):
    """URSSAF refused the declaration; the reason is URSSAF's."""


class WorkingTimeExceeded(ValueError):
    """Reported work would break a maximum working time across the person's employers; `limit` names it."""

    def __init__(self, limit: str, message: str) -> None:
        self.limit = limit
        super().__init__(message)


def check_text(field: str, value: str | None, *, max_length: int = 200) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidContractField(field, "must not be blank")
    if len(text) > max_length:
        raise InvalidContractField(field, f"at most {max_length} characters")
    return text
