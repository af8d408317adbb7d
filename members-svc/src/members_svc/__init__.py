"""members-svc."""
