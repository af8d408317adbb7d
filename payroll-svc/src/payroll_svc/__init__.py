"""payroll-svc."""
