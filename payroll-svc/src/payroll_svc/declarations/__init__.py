"""Social declarations payroll-svc writes: the monthly DSN."""
