"""The cooperative contribution: an effective-dated rate per tenant, charged on the amount excluding VAT."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal


class NoContributionRate(LookupError):
    """No rate is in force for the tenant on that day: the data file must say one before money is credited."""


@dataclass(frozen=True)
class ContributionRate:
    tenant: str
    starts_on: date
    ends_on: date | None  # inclusive; None: in force until a later row replaces it
    rate: Decimal
    source: str
    to_check: bool = False

    def applies(self, tenant: str, on: date) -> bool:
        return self.tenant == tenant and self.starts_on <= on and (self.ends_on is None or on <= self.ends_on)


@dataclass(frozen=True)
class ContributionTable:
    rates: tuple[ContributionRate, ...]

    def __post_init__(self) -> None:
        for one in self.rates:
            for other in self.rates:
                if one is not other and one.tenant == other.tenant and _overlap(one, other):
                    raise ValueError(f"contribution rates of {one.tenant} overlap from {other.starts_on}")

    def rate_on(self, tenant: str, on: date) -> ContributionRate:
        for rate in self.rates:
            if rate.applies(tenant, on):
                return rate
        raise NoContributionRate(f"no cooperative contribution rate for {tenant} on {on.isoformat()}")


def _overlap(a: ContributionRate, b: ContributionRate) -> bool:
    a_end, b_end = a.ends_on or date.max, b.ends_on or date.max
    return a.starts_on <= b_end and b.starts_on <= a_end


def contribution_cents(amount_excluding_vat_cents: int, rate: Decimal) -> int:
    """The contribution on an amount, to the cent (half up); negative amounts mirror positive ones."""
    sign = -1 if amount_excluding_vat_cents < 0 else 1
    exact = Decimal(abs(amount_excluding_vat_cents)) * rate
    return sign * int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
