"""The cooperative contribution's effective-dated rates, read from the data file."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing_svc.accounts_reference import CONTRIBUTION
from billing_svc.domain.accounts.contribution import (
    ContributionRate,
    ContributionTable,
    NoContributionRate,
    contribution_cents,
)


@pytest.mark.parametrize(
    ("on", "rate"),
    [
        (date(2022, 12, 14), Decimal("0.085")),
        (date(2022, 12, 15), Decimal("0.10")),
        (date(2026, 11, 26), Decimal("0.10")),
    ],
)
def test_smartfr_charges_8_5_percent_until_the_agm_of_2022_12_15_and_10_percent_from_it(
    on: date, rate: Decimal
) -> None:
    assert CONTRIBUTION.rate_on("smartfr", on).rate == rate


def test_every_tenant_has_a_rate_today_and_each_says_its_source() -> None:
    for tenant in ("smartfr", "coop-portage", "grandsensemble", "alterna"):
        found = CONTRIBUTION.rate_on(tenant, date(2026, 11, 26))
        assert Decimal("0.05") <= found.rate <= Decimal("0.15")
        assert found.source


def test_a_day_without_a_rate_is_refused_rather_than_charged_nothing() -> None:
    with pytest.raises(NoContributionRate):
        CONTRIBUTION.rate_on("unknown-tenant", date(2026, 11, 26))


def test_overlapping_rates_of_one_tenant_are_refused_when_the_table_is_read() -> None:
    a = ContributionRate("t", date(2020, 1, 1), date(2021, 1, 1), Decimal("0.1"), "s")
    b = ContributionRate("t", date(2021, 1, 1), None, Decimal("0.1"), "s")
    with pytest.raises(ValueError, match="overlap"):
        ContributionTable((a, b))


@pytest.mark.parametrize(
    ("amount", "rate", "expected"),
    [
        (100_000, "0.10", 10_000),
        (100_000, "0.085", 8_500),
        (1_005, "0.085", 85),
        (1_006, "0.085", 86),
        (-1_006, "0.085", -86),
    ],
)
def test_the_contribution_is_rounded_to_the_cent_half_up(amount: int, rate: str, expected: int) -> None:
    assert contribution_cents(amount, Decimal(rate)) == expected
