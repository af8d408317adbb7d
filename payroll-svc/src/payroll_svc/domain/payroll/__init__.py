"""The payroll engine: French payroll 2026 from effective-dated tables (parameters/*.toml)."""

from payroll_svc.domain.payroll.budget import BudgetSolution, NoGrossForBudget, gross_for_budget
from payroll_svc.domain.payroll.ceilings import share_the_ceiling
from payroll_svc.domain.payroll.payslip import (
    Earning,
    Intermittent,
    InvalidPayInput,
    PayInput,
    PayLine,
    Payslip,
    PortageLevel,
    compute_payslip,
    contract_ceiling_cents,
    neutral_rate,
    rgdu_coefficient,
)
from payroll_svc.domain.payroll.regularisation import RgduYearToDate, regularised_rgdu
from payroll_svc.domain.payroll.tables import (
    ContractType,
    HeadcountBand,
    NoParameters,
    Parameters,
    Status,
    parameters_on,
)

__all__ = [
    "BudgetSolution",
    "ContractType",
    "Earning",
    "HeadcountBand",
    "Intermittent",
    "InvalidPayInput",
    "NoGrossForBudget",
    "NoParameters",
    "Parameters",
    "PayInput",
    "PayLine",
    "Payslip",
    "PortageLevel",
    "RgduYearToDate",
    "Status",
    "compute_payslip",
    "contract_ceiling_cents",
    "gross_for_budget",
    "neutral_rate",
    "parameters_on",
    "regularised_rgdu",
    "rgdu_coefficient",
    "share_the_ceiling",
]
