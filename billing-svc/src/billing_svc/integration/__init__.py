"""Translation at the edge: public events in and out."""
