"""Read models: tables kept by projections, and their queries."""
