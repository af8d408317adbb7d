"""The legal reference data an invoice is checked against, effective-dated (billing_svc/reference)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Period:
    start: date
    until: date | None  # inclusive; None: still in force

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.until is None or day <= self.until)


@dataclass(frozen=True)
class VatRate:
    name: str
    percent: Decimal
    period: Period
    source: str


@dataclass(frozen=True)
class VatExemption:
    """A legal ground for an invoice without VAT, and the mention the invoice must carry (BT-120)."""

    code: str
    category: str  # EN 16931 VAT category (UNTDID 5305): E exempt, AE reverse charge
    vatex: str | None  # BT-121
    mention: str
    period: Period
    source: str


@dataclass(frozen=True)
class PaymentTermsRule:
    max_days_net: int
    max_days_end_of_month: int
    recovery_indemnity_cents: int
    late_penalty: str
    recovery_indemnity: str
    early_payment_discount: str
    period: Period
    source: str


@dataclass(frozen=True)
class BillingReference:
    vat_rates: tuple[VatRate, ...]
    exemptions: tuple[VatExemption, ...]
    payment_terms: tuple[PaymentTermsRule, ...]

    def vat_rate(self, percent: Decimal, on: date) -> VatRate | None:
        return next((r for r in self.vat_rates if r.percent == percent and r.period.covers(on)), None)

    def rates_in_force(self, on: date) -> list[Decimal]:
        return sorted(r.percent for r in self.vat_rates if r.period.covers(on))

    def exemption(self, code: str, on: date) -> VatExemption | None:
        return next((e for e in self.exemptions if e.code == code and e.period.covers(on)), None)

    def terms(self, on: date) -> PaymentTermsRule:
        found = next((t for t in self.payment_terms if t.period.covers(on)), None)
        if found is None:
            raise LookupError(f"no payment terms rule in force on {on}")
        return found
