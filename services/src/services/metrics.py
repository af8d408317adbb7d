"""The chassis's Prometheus metrics, all on the default registry.

Defined once here (a metric name can be registered only once per registry) and labelled by `service`, since
the embedded mode hosts every service in one process. Names follow Prometheus conventions: base units,
`_total` on counters, `_seconds` on durations.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Latency buckets for an internal HTTP API: most answers within a few ms, the tail up to a few seconds.
HTTP_DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# HTTP golden signals. `route` is the route template (`/items/{item_id}`), never the raw path, so the label
# set stays bounded; a request that matched no route is labelled UNMATCHED_ROUTE.
UNMATCHED_ROUTE = "<unmatched>"

HTTP_REQUESTS = Counter(
    "http_server_requests_total",
    "HTTP requests answered, by method, route template and status code.",
    ["service", "method", "route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "http_server_request_duration_seconds",
    "Time from the request's arrival to the end of its response, by method, route template and status code.",
    ["service", "method", "route", "status"],
    buckets=HTTP_DURATION_BUCKETS,
)
HTTP_ACTIVE_REQUESTS = Gauge(
    "http_server_active_requests",
    "HTTP requests being served right now.",
    ["service"],
)

# Event store, outbox relay and consumers. Counters are updated where the work happens; gauges that need a
# query (backlog, lag, pending dead letters) are sampled by services.pipeline_metrics.
EVENTS_APPENDED = Counter(
    "eventstore_events_appended_total",
    "Events appended to the service's event store.",
    ["service"],
)
OUTBOX_BACKLOG = Gauge(
    "outbox_relay_backlog",
    "Outbox rows written but not yet published by the relay.",
    ["service"],
)
OUTBOX_OLDEST_AGE = Gauge(
    "outbox_relay_oldest_unpublished_age_seconds",
    "Age of the oldest outbox row not yet published (0 when everything is published).",
    ["service"],
)
OUTBOX_PUBLISHED = Counter(
    "outbox_relay_published_total",
    "Outbox rows the relay published to the bus.",
    ["service", "topic"],
)
CONSUMER_LAG = Gauge(
    "consumer_lag_messages",
    "Messages of the partition that the consumer group has not acknowledged yet.",
    ["service", "consumer", "topic", "partition"],
)
CONSUMER_LAG_SECONDS = Gauge(
    "consumer_lag_seconds",
    "How old the last message handled on the partition was when it was handled (0 once caught up).",
    ["service", "consumer", "topic", "partition"],
)
CONSUMER_MESSAGES = Counter(
    "consumer_messages_total",
    "Messages the consumer finished with, by outcome (processed, repeat, dead_lettered).",
    ["service", "consumer", "outcome"],
)
CONSUMER_HANDLER_DURATION = Histogram(
    "consumer_handler_duration_seconds",
    "Time to handle one message, its inbox record and effects included.",
    ["service", "consumer", "event_type"],
    buckets=HTTP_DURATION_BUCKETS,
)
CONSUMER_HANDLER_FAILURES = Counter(
    "consumer_handler_failures_total",
    "Attempts at handling a message that raised (each retry counts).",
    ["service", "consumer", "event_type"],
)
CONSUMER_DEAD_LETTERS = Counter(
    "consumer_dead_letters_total",
    "Messages sent to the dead-letter topic after their retries ran out.",
    ["service", "consumer", "topic"],
)
DEAD_LETTERS_PENDING = Gauge(
    "dead_letters_pending",
    "Dead letters recorded and not yet replayed.",
    ["service", "consumer"],
)
