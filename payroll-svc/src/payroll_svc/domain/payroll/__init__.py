"""The payroll engine: French payroll 2026 from effective-dated tables (parameters/*.toml)."""

from payroll_svc.domain.payroll.budget import NoGrossForBudget, gross_for_budget
from payroll_svc.domain.payroll.payslip import (
    Earning,
    Intermittent,
    InvalidPayInput,
    PayInput,
    PayLine,
    Payslip,
    PortageLevel,
    compute_payslip,
    neutral_rate,
)
from payroll_svc.domain.payroll.tables import (
    ContractType,
    HeadcountBand,
    NoParameters,
    Parameters,
    Status,
    parameters_on,
)

__all__ = [
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
    "Status",
    "compute_payslip",
    "gross_for_budget",
    "neutral_rate",
    "parameters_on",
]
