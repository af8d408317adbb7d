"""What every membership command checks, and the errors it refuses with."""

from __future__ import annotations

CATEGORIES = range(1, 10)  # SmartFr's 9 categories; per-tenant configuration comes with the register


class AlreadyApplied(Exception):
    """The id is taken: an application is never made twice under one id."""


class UnknownMember(LookupError):
    """No member under this id (in this tenant)."""


class UnknownCategory(ValueError):
    """The category is not one of the tenant's."""


class NotAnApplicant(Exception):
    """Only an applicant can be admitted: an admission is decided once."""


class NotAMember(Exception):
    """Only an admitted member can resign or be excluded."""


class DateBeforeAdmission(ValueError):
    """A member cannot leave before they were admitted."""


class ReasonRequired(ValueError):
    """An exclusion states its reason."""


class NothingToChange(ValueError):
    """A change that names no field."""


def check_category(category: int | None) -> None:
    if category is not None and category not in CATEGORIES:
        raise UnknownCategory(f"category {category} is not one of 1 to 9")
