"""How payroll-svc runs."""
