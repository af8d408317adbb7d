"""payroll-svc domain: pure, no I/O."""
