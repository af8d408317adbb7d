"""How billing-svc runs."""
