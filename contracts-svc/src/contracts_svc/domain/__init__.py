"""contracts-svc domain: pure, no I/O."""
