"""The effective-dated legal tables (VAT rates, exemption mentions, payment terms) read from their data files.

Each file names its sources; the domain gets them as `BillingReference`, read once at import.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any

from billing_svc.domain.invoicing.reference import (
    BillingReference,
    PaymentTermsRule,
    Period,
    VatExemption,
    VatRate,
)


def _read(name: str) -> Any:
    return json.loads(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))


def _period(row: dict[str, Any]) -> Period:
    return Period(date.fromisoformat(row["from"]), date.fromisoformat(row["until"]) if row["until"] else None)


def load() -> BillingReference:
    rates = tuple(
        VatRate(r["name"], Decimal(r["percent"]), _period(r), r["source"])
        for r in _read("vat_rates.json")["rates"]
    )
    exemptions = tuple(
        VatExemption(e["code"], e["category"], e["vatex"], e["mention"], _period(e), e["source"])
        for e in _read("vat_exemptions.json")["exemptions"]
    )
    terms = tuple(
        PaymentTermsRule(
            max_days_net=t["max_days_net"],
            max_days_end_of_month=t["max_days_end_of_month"],
            recovery_indemnity_cents=t["recovery_indemnity_cents"],
            late_penalty=t["late_penalty"],
            recovery_indemnity=t["recovery_indemnity"],
            early_payment_discount=t["early_payment_discount"],
            period=_period(t),
            source=t["source"],
        )
        for t in _read("payment_terms.json")["terms"]
    )
    return BillingReference(rates, exemptions, terms)


REFERENCE = load()
