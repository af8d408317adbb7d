"""Read models and their queries."""
