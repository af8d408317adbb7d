"""Pure translation at the edge: private events out to public ones, others' public events in to commands."""
