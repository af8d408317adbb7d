"""Properties of the engine over generated pay inputs (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Context, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from payroll_svc.domain.payroll import (
    ContractType,
    HeadcountBand,
    PayInput,
    Status,
    compute_payslip,
    gross_for_budget,
)
from payroll_svc.domain.payroll.payslip import _power

pay_inputs = st.builds(
    PayInput,
    period=st.just(date(2026, 1, 1)),
    status=st.sampled_from(Status),
    contract_type=st.sampled_from([ContractType.CDI, ContractType.CDD, ContractType.CDDU]),
    headcount=st.sampled_from(HeadcountBand),
    accident_at_work_rate=st.decimals(min_value=Decimal("0.005"), max_value=Decimal("0.06"), places=4),
    hours_paid=st.decimals(min_value=Decimal(1), max_value=Decimal("200"), places=2),
    gross_pay_cents=st.integers(min_value=100, max_value=3_000_000),
    calendar_days=st.one_of(st.none(), st.integers(min_value=1, max_value=31)),
    working_time_ratio=st.sampled_from([Decimal(1), Decimal("0.8"), Decimal("0.5")]),
    ends_in_period=st.booleans(),
    ceiling_used_elsewhere_cents=st.integers(min_value=0, max_value=300000),
)


@given(pay_inputs)
def test_net_is_below_gross_which_is_below_the_employer_cost(pay: PayInput) -> None:
    payslip = compute_payslip(pay)

    assert payslip.net_paid_cents <= payslip.net_before_tax_cents < payslip.gross_cents
    assert payslip.gross_cents < payslip.employer_cost_cents


@given(pay_inputs, st.integers(min_value=1, max_value=5000))
def test_the_employer_cost_never_decreases_when_the_gross_grows(pay: PayInput, raise_cents: int) -> None:
    lower = compute_payslip(pay)
    higher = compute_payslip(replace(pay, gross_pay_cents=pay.gross_pay_cents + raise_cents))
    next_cent = compute_payslip(replace(pay, gross_pay_cents=pay.gross_pay_cents + 1))

    assert lower.employer_cost_cents <= next_cent.employer_cost_cents <= higher.employer_cost_cents


@settings(max_examples=60)
@given(pay_inputs, st.integers(min_value=1000, max_value=2_000_000))
def test_the_budget_solve_gives_the_largest_gross_whose_cost_is_within_the_budget(
    pay: PayInput, budget: int
) -> None:
    solution = gross_for_budget(pay, budget)
    one_cent_more = compute_payslip(replace(pay, gross_pay_cents=solution.gross_pay_cents + 1))

    assert solution.payslip.employer_cost_cents <= budget
    assert one_cent_more.employer_cost_cents > budget
    # A cent more of pay costs at most a few cents more, so what is left unspent is less than that.
    assert solution.unspent_cents < one_cent_more.employer_cost_cents - solution.payslip.employer_cost_cents


@given(st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(1), places=8))
def test_the_rgdu_power_through_square_roots_is_the_power_to_four_decimals(ratio: Decimal) -> None:
    exact = Context(prec=40).power(ratio, Decimal("1.75"))

    assert abs(_power(ratio, Decimal("1.75")) - exact) < Decimal("1e-15")
