"""payroll-svc's business metrics (named like the chassis's: <subject>_<what>_total, labelled by tenant)."""

from prometheus_client import Counter

SALARIES_DUE = Counter(
    "payroll_salaries_due_total", "Salaries a payment run found due (sent to the bank)", ["tenant"]
)
SALARIES_PAID = Counter(
    "payroll_salaries_paid_total",
    "Salaries the bank accepted, by whether they were paid on their due date",
    ["tenant", "timeliness"],
)
SALARIES_REJECTED = Counter(
    "payroll_salaries_rejected_total", "Salary transfers the bank rejected", ["tenant"]
)
PAYMENT_RUNS_FAILED = Counter(
    "payroll_payment_runs_failed_total", "Payment runs whose file the bank failed as a whole", ["tenant"]
)
