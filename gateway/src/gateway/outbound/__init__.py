"""Outbound webhooks: tenants' endpoints, messages made from the services' public events, signed deliveries.

`catalogue` says which public event becomes which webhook type; `fan_out` (a bus consumer) records one message
and one delivery per subscribed endpoint; `worker` delivers them (Standard Webhooks signatures, retries on a
schedule, endpoints disabled when gone or failing for days). `endpoints` and `deliveries` are the tables.
"""
