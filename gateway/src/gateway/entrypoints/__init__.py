"""How the gateway runs."""
