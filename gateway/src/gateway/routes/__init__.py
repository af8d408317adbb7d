"""The public API, a router per resource."""
