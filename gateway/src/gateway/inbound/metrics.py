"""The inbound webhooks' counter, by kind (hire, ...) and outcome; named as services.metrics names its own."""

from __future__ import annotations

from prometheus_client import Counter

ACCEPTED = "accepted"  # verified, checked and stored: answered 202
BAD_SIGNATURE = "bad_signature"  # refused with 401: missing, stale or wrong signature
DUPLICATE = "duplicate"  # a webhook-id already received: the first answer is given back, nothing stored

WEBHOOKS_RECEIVED = Counter(
    "gateway_inbound_webhooks_total",
    "Messages pushed to the inbound webhooks, by kind and outcome (accepted, bad_signature, duplicate).",
    ["kind", "outcome"],
)


def count(kind: str, outcome: str) -> None:
    WEBHOOKS_RECEIVED.labels(kind, outcome).inc()
