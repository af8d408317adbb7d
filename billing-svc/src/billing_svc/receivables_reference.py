"""The collection terms from their data files (reference/collection.json, late_payment_rates.json).

Each file names its sources; rows of the rate table not checked against the ECB's publication say so.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any

from billing_svc.domain.receivables.terms import CollectionTerms, HalfYearRate, LatePaymentRates


def _read(name: str) -> Any:
    return json.loads(resources.files("billing_svc.reference").joinpath(name).read_text(encoding="utf-8"))


def load() -> CollectionTerms:
    table = _read("late_payment_rates.json")
    rates = tuple(
        sorted(
            (
                HalfYearRate(date.fromisoformat(r["half_year_from"]), Decimal(r["ecb_percent"]), r["checked"])
                for r in table["rates"]
            ),
            key=lambda r: r.starts,
        )
    )
    late = LatePaymentRates(rates, Decimal(table["margin_points"]), int(table["days_in_year"]))
    schedule = _read("collection.json")
    return CollectionTerms(tuple(int(d) for d in schedule["notice_offsets_days"]), late)


COLLECTION_TERMS = load()
