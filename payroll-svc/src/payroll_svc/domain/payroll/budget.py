"""Gross from a budget: the pay whose employer cost is a given salary budget.

The employer cost is non-decreasing in the pay (every line is a rounded non-decreasing function of its
base; the RGDU amount grows by less than the employer rates do), but it moves by more than a cent per cent
of pay (about 1.4 cents, 1.5 with an ICCP), so a budget is not always reachable exactly. The rule: the
largest pay, in whole cents, whose employer cost does not exceed the budget; `unspent_cents` says what is
left (0 when exact).
Found by bisection over integer cents: about log2(budget) payslips.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from payroll_svc.domain.payroll.payslip import InvalidPayInput, PayInput, Payslip, compute_payslip
from payroll_svc.domain.payroll.tables import Parameters, parameters_on


class NoGrossForBudget(ValueError):
    """Even the smallest pay the rules allow costs more than the budget (the portage minimum, say)."""

    def __init__(self, budget_cents: int) -> None:
        super().__init__(f"no gross pay has an employer cost within {budget_cents / 100:.2f} €")
        self.budget_cents = budget_cents


@dataclass(frozen=True, slots=True)
class BudgetSolution:
    payslip: Payslip
    gross_pay_cents: int
    budget_cents: int

    @property
    def unspent_cents(self) -> int:
        return self.budget_cents - self.payslip.employer_cost_cents


def gross_for_budget(
    template: PayInput, budget_cents: int, parameters: Parameters | None = None
) -> BudgetSolution:
    """The largest gross pay (in cents) of `template` whose employer cost is at most `budget_cents`."""
    if budget_cents < 0:
        raise InvalidPayInput("employer_budget", "must not be negative")
    p = parameters or parameters_on(template.period)

    def at(gross_pay_cents: int) -> Payslip | None:
        """The payslip, or None for a pay below a minimum the rules set (portage)."""
        try:
            return compute_payslip(replace(template, gross_pay_cents=gross_pay_cents), p)
        except InvalidPayInput as error:
            if error.field == "gross":
                return None
            raise

    # Pays below a minimum are refused and those above it accepted: first the smallest accepted pay.
    low, high = 0, budget_cents + 1
    while low < high:
        middle = (low + high) // 2
        if at(middle) is None:
            low = middle + 1
        else:
            high = middle
    low_slip = at(low) if low <= budget_cents else None
    if low_slip is None or low_slip.employer_cost_cents > budget_cents:
        raise NoGrossForBudget(budget_cents)
    # The employer cost is at least the pay, so budget + 1 costs more than the budget.
    high = budget_cents + 1
    while high - low > 1:  # invariant: cost(low) <= budget < cost(high)
        middle = (low + high) // 2
        slip = at(middle)
        assert slip is not None  # accepted pays are an upward-closed range
        if slip.employer_cost_cents <= budget_cents:
            low, low_slip = middle, slip
        else:
            high = middle
    return BudgetSolution(payslip=low_slip, gross_pay_cents=low, budget_cents=budget_cents)
