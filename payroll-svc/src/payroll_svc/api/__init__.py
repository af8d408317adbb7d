"""payroll-svc internal API, called by the gateway only."""
