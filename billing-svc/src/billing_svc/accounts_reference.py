"""The cooperative contribution's rates, read once from reference/contribution_rates.toml (with sources)."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from importlib import resources

from billing_svc.domain.accounts.contribution import ContributionRate, ContributionTable


def load() -> ContributionTable:
    text = resources.files("billing_svc.reference").joinpath("contribution_rates.toml").read_text("utf-8")
    return ContributionTable(
        tuple(
            ContributionRate(
                tenant=row["tenant"],
                starts_on=date.fromisoformat(row["from"]),
                ends_on=date.fromisoformat(row["until"]) if "until" in row else None,
                rate=Decimal(row["rate"]),
                source=row["source"],
                to_check=bool(row.get("check", False)),
            )
            for row in tomllib.loads(text)["rate"]
        )
    )


CONTRIBUTION = load()
