"""billing-svc."""
