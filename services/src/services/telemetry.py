"""OpenTelemetry: the tracer provider (entrypoints only) and the W3C trace-context carriers.

The outbox keeps a `traceparent` column and Kafka carries it as a header, so a trace crosses the bus.
All parsing and formatting goes through OpenTelemetry's W3C propagator: an invalid value is dropped, never
guessed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import Getter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACEPARENT = "traceparent"
_PROPAGATOR = TraceContextTextMapPropagator()

KafkaHeaders = Sequence[tuple[str, bytes | None]]


def setup_tracing(service_name: str, enabled: bool) -> TracerProvider | None:
    """Install the SDK tracer provider for this process; call once, from an entrypoint.

    Spans are exported over OTLP/HTTP only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (the exporter reads the
    standard OTEL_* variables itself). Returns the provider so the entrypoint can `shutdown()` it (flushes).
    Disabled: nothing is installed and the API stays a no-op, though incoming trace ids are still propagated.
    """
    if not enabled:
        return None
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        # Imported here: the exporter pulls in protobuf and requests, which a disabled setup never needs.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def current_traceparent(context: Context | None = None) -> str | None:
    """The W3C traceparent of the current span (or of `context`), None outside a valid span."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, context=context)
    return carrier.get(TRACEPARENT)


def current_trace_id() -> str | None:
    """The current trace id as 32 hex digits, None outside a valid span."""
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None


def context_from_traceparent(traceparent: str | None, context: Context | None = None) -> Context:
    """A context whose remote parent is `traceparent`; an absent or invalid value yields `context` unchanged.

    Use as `tracer.start_as_current_span(name, context=context_from_traceparent(tp))`.
    """
    carrier = {TRACEPARENT: traceparent} if traceparent else {}
    return _PROPAGATOR.extract(carrier, context=context)


def kafka_headers(traceparent: str | None) -> list[tuple[str, bytes]]:
    """The Kafka headers that carry `traceparent` (none when it is absent or invalid)."""
    normalised = current_traceparent(context_from_traceparent(traceparent, Context()))
    return [(TRACEPARENT, normalised.encode("ascii"))] if normalised else []


class _KafkaHeadersGetter(Getter[KafkaHeaders]):
    def get(self, carrier: KafkaHeaders, key: str) -> list[str] | None:
        values = [
            value.decode("latin-1") for name, value in carrier if name.lower() == key and value is not None
        ]
        return values or None

    def keys(self, carrier: KafkaHeaders) -> list[str]:
        return [name for name, _ in carrier]


_KAFKA_GETTER = _KafkaHeadersGetter()


def context_from_kafka_headers(headers: KafkaHeaders | None, context: Context | None = None) -> Context:
    """A context whose remote parent is the record's traceparent header, if a valid one is there."""
    return _PROPAGATOR.extract(list(headers or ()), context=context, getter=_KAFKA_GETTER)


def traceparent_from_kafka_headers(headers: Iterable[tuple[str, bytes | None]] | None) -> str | None:
    """The record's traceparent header, validated and normalised; None when absent or invalid."""
    return current_traceparent(context_from_kafka_headers(list(headers or ()), Context()))
