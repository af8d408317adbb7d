"""The chassis's Prometheus metrics, all on the default registry.

Defined once here (a metric name can be registered only once per registry). Names and labels follow the
OpenTelemetry-to-Prometheus conventions (ADR 012): an OpenTelemetry semantic-convention metric keeps its name
with dots as underscores and its unit as a suffix (`http.server.request.duration` in seconds is
`http_server_request_duration_seconds`); counters end in `_total`; attributes keep their semantic-convention
names, dots as underscores (`http.route` is `http_route`). Every series carries `service_name` (the resource
attribute `service.name`, as the collector's resource-to-telemetry conversion writes it): the embedded mode
hosts every service in one process, so the scrape target alone does not say which service it was.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

SERVICE = "service_name"
# OpenTelemetry messaging attributes, as Prometheus labels.
TOPIC = "messaging_destination_name"
PARTITION = "messaging_destination_partition_id"
GROUP = "messaging_consumer_group_name"

# Latency buckets for an internal HTTP API: most answers within a few ms, the tail up to a few seconds.
HTTP_DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# HTTP golden signals. `http_route` is the route template (`/items/{item_id}`), never the raw path, so the
# label set stays bounded; a request that matched no route is labelled UNMATCHED_ROUTE.
UNMATCHED_ROUTE = "<unmatched>"
_HTTP_LABELS = [SERVICE, "http_request_method", "http_route", "http_response_status_code"]

HTTP_REQUEST_DURATION = Histogram(
    "http_server_request_duration_seconds",
    "Duration of HTTP server requests (OpenTelemetry http.server.request.duration); its _count is the rate.",
    _HTTP_LABELS,
    buckets=HTTP_DURATION_BUCKETS,
)
# Not an OpenTelemetry metric: the histogram's `_count` already counts requests, and the dashboards read that.
# Kept while the middleware still increments it; to be dropped with it (one increment less per request).
HTTP_REQUESTS = Counter(
    "http_server_requests_total",
    "HTTP requests answered (the same figure as http_server_request_duration_seconds_count).",
    _HTTP_LABELS,
)
HTTP_ACTIVE_REQUESTS = Gauge(
    "http_server_active_requests",
    "HTTP server requests being served right now (OpenTelemetry http.server.active_requests).",
    [SERVICE],
)

# Event store, outbox relay and consumers. Counters are updated where the work happens; gauges that need a
# query (backlog, lag, pending dead letters) are sampled by services.pipeline_metrics.
EVENTS_APPENDED = Counter(
    "eventstore_events_appended_total",
    "Events appended to the service's event store.",
    [SERVICE],
)
OUTBOX_BACKLOG = Gauge(
    "outbox_relay_backlog",
    "Outbox rows written but not yet published by the relay.",
    [SERVICE],
)
OUTBOX_OLDEST_AGE = Gauge(
    "outbox_relay_oldest_unpublished_age_seconds",
    "Age of the oldest outbox row not yet published (0 when everything is published).",
    [SERVICE],
)
OUTBOX_PUBLISHED = Counter(
    "outbox_relay_published_total",
    "Outbox rows the relay published to the bus.",
    [SERVICE, TOPIC],
)
CONSUMER_LAG = Gauge(
    "consumer_lag_messages",
    "Messages of the partition that the consumer group has not acknowledged yet.",
    [SERVICE, GROUP, TOPIC, PARTITION],
)
CONSUMER_LAG_SECONDS = Gauge(
    "consumer_lag_seconds",
    "How old the last message handled on the partition was when it was handled (0 once caught up).",
    [SERVICE, GROUP, TOPIC, PARTITION],
)
CONSUMER_MESSAGES = Counter(
    "consumer_messages_total",
    "Messages the consumer finished with, by outcome (processed, repeat, dead_lettered).",
    [SERVICE, GROUP, "outcome"],
)
CONSUMER_HANDLER_DURATION = Histogram(
    "messaging_process_duration_seconds",
    "Time to handle one message, its inbox record and effects included"
    " (OpenTelemetry messaging.process.duration).",
    [SERVICE, GROUP, "event_type"],
    buckets=HTTP_DURATION_BUCKETS,
)
CONSUMER_HANDLER_FAILURES = Counter(
    "consumer_handler_failures_total",
    "Attempts at handling a message that raised (each retry counts).",
    [SERVICE, GROUP, "event_type"],
)
CONSUMER_DEAD_LETTERS = Counter(
    "consumer_dead_letters_total",
    "Messages sent to the dead-letter topic after their retries ran out.",
    [SERVICE, GROUP, TOPIC],
)
DEAD_LETTERS_PENDING = Gauge(
    "dead_letters_pending",
    "Dead letters recorded and not yet replayed.",
    [SERVICE, GROUP],
)
