"""members-svc's internal API, called by the gateway only."""
