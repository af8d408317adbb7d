"""Documents payroll-svc renders: the payslip as PDF."""
