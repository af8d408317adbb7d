"""Translation at the edge: public events of other services in, public events out."""
