"""How contracts-svc runs."""
