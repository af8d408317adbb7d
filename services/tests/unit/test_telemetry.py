"""The W3C trace context survives the trip through the outbox column and Kafka headers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider

from services.telemetry import (
    context_from_kafka_headers,
    context_from_traceparent,
    current_trace_id,
    current_traceparent,
    kafka_headers,
    traceparent_from_kafka_headers,
)

# A local provider: the global one is the entrypoints' business, and tests share the process.
tracer = TracerProvider().get_tracer("test")


def test_outside_a_span_there_is_no_traceparent() -> None:
    assert current_traceparent() is None
    assert current_trace_id() is None
    assert kafka_headers(None) == []


def test_a_traceparent_crosses_kafka_headers_and_becomes_the_consumers_parent() -> None:
    with tracer.start_as_current_span("produce") as producer_span:
        traceparent = current_traceparent()
        producer = producer_span.get_span_context()
    assert traceparent == f"00-{producer.trace_id:032x}-{producer.span_id:016x}-{producer.trace_flags:02x}"

    headers = kafka_headers(traceparent)
    assert headers == [("traceparent", traceparent.encode())]
    assert traceparent_from_kafka_headers(headers) == traceparent

    with tracer.start_as_current_span(
        "consume", context=context_from_kafka_headers(headers)
    ) as consumer_span:
        assert current_trace_id() == f"{producer.trace_id:032x}"
        consumer = consumer_span.get_span_context()
    assert consumer.trace_id == producer.trace_id
    assert isinstance(consumer_span, ReadableSpan)
    assert consumer_span.parent is not None
    assert consumer_span.parent.span_id == producer.span_id
    assert consumer_span.parent.is_remote


def test_a_stored_traceparent_becomes_the_parent_context() -> None:
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    parent = trace.get_current_span(context_from_traceparent(traceparent)).get_span_context()
    assert parent.trace_id == 0x4BF92F3577B34DA6A3CE929D0E0E4736
    assert parent.span_id == 0x00F067AA0BA902B7
    assert current_traceparent(context_from_traceparent(traceparent)) == traceparent


def test_an_unsampled_trace_stays_unsampled_across_kafka() -> None:
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
    assert traceparent_from_kafka_headers(kafka_headers(traceparent)) == traceparent


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "garbage",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # all-zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  # all-zero span id
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # forbidden version
    ],
)
def test_an_invalid_traceparent_is_dropped_not_passed_on(bad: str) -> None:
    assert kafka_headers(bad) == []
    assert traceparent_from_kafka_headers([("traceparent", bad.encode())]) is None
    assert not trace.get_current_span(context_from_traceparent(bad)).get_span_context().is_valid


def test_kafka_headers_without_a_traceparent_yield_no_parent() -> None:
    assert traceparent_from_kafka_headers(None) is None
    assert traceparent_from_kafka_headers([]) is None
    assert traceparent_from_kafka_headers([("other", b"x"), ("traceparent", None)]) is None
    assert (
        not trace.get_current_span(context_from_kafka_headers([("other", b"x")])).get_span_context().is_valid
    )


def run_python(code: str, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")} | env
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


CHECK_SETUP = """
    from opentelemetry import trace
    from services.telemetry import setup_tracing
    provider = setup_tracing("members", {enabled})
    if provider is None:
        print("none", type(trace.get_tracer_provider()).__name__)
    else:
        assert trace.get_tracer_provider() is provider
        processors = provider._active_span_processor._span_processors
        exporters = [type(p.span_exporter).__name__ for p in processors if hasattr(p, "span_exporter")]
        print(provider.resource.attributes["service.name"], exporters)
        provider.shutdown()
"""


def test_disabled_tracing_installs_nothing() -> None:
    assert run_python(CHECK_SETUP.format(enabled=False)) == "none ProxyTracerProvider"


def test_enabled_tracing_exports_only_when_an_otlp_endpoint_is_set() -> None:
    assert run_python(CHECK_SETUP.format(enabled=True)) == "members []"
    with_endpoint = run_python(
        CHECK_SETUP.format(enabled=True), OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9"
    )
    assert with_endpoint == "members ['OTLPSpanExporter']"
