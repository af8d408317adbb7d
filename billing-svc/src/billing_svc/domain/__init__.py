"""billing-svc domain: pure, no I/O."""
