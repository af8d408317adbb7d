"""What the shares commands check, the errors they refuse with, and each tenant's nominal."""

from __future__ import annotations

# The nominal value of one share (part sociale) per tenant, in cents. Source: DOMAIN.md "Members" — 30 € at
# SmartFr (its statutes). Other tenants' nominals are not known yet: configured through
# MEMBERS_SHARE_NOMINALS (see `nominal_cents`), else refused.
NOMINAL_CENTS: dict[str, int] = {"smartfr": 3000}

LIABILITY_YEARS = 5  # a leaver stays liable 5 years for the debts existing when they left (C. com. L231-6)


class UnknownNominal(LookupError):
    """No nominal share value is known for the tenant."""


class MemberNotFound(LookupError):
    """No member under this id (in this tenant)."""


class MemberHasLeft(ValueError):
    """A member who resigned or was excluded subscribes no more shares."""


class InvalidShareCount(ValueError):
    """A subscription is of one share at least."""


class InvalidAmount(ValueError):
    """An amount of money is a positive number of cents."""


class NoSharesSubscribed(LookupError):
    """A payment or a repayment on a member holding no share."""


class PaymentExceedsSubscription(ValueError):
    """Never more paid up than subscribed."""


class MemberHasNotLeft(ValueError):
    """Shares are repaid to leavers only."""


class AccountsNotApprovedSinceLeaving(ValueError):
    """Repayment waits for the AGM to approve the accounts of the year the member left, and follows it."""


class SharesAlreadyRepaid(ValueError):
    """The leaver's shares were repaid already."""


class CapitalBelowFloor(ValueError):
    """The repayment would take the capital below a quarter of its historic maximum (C. com. L231-5)."""


def nominal_cents(tenant: str, configured: dict[str, int] | None = None) -> int:
    """The tenant's nominal: the configured one first, else the table above."""
    found = (configured or {}).get(tenant, NOMINAL_CENTS.get(tenant))
    if found is None:
        raise UnknownNominal(f"no nominal share value is configured for tenant {tenant!r}")
    return found
