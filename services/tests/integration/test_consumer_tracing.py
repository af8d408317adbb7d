"""A message's trace: the relay sends it in a `send <topic>` span and a consumer processes it in a
`process <topic>` span, both children of the context the message carries."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

sys.path.insert(0, str(Path(__file__).parent / "procs"))

from bus_support import bootstrap, bus_world, dsn, effect_recorder, publish, wait_until

from services.consumer import ConsumerRunner
from services.envelope import Envelope

__all__ = ["bootstrap", "dsn"]


@pytest.mark.parametrize("kind", ["postgres", pytest.param("kafka", marks=pytest.mark.kafka)])
async def test_the_process_span_of_a_message_is_a_child_of_the_trace_it_carries(
    kind: str, dsn: str, bootstrap: str
) -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider()  # a local provider: the global one is set once per process, by entrypoints
    provider.add_span_processor(SimpleSpanProcessor(spans))
    async with bus_world(kind, dsn, bootstrap, partitions=1) as world:
        name = world.group("traced")
        runner = ConsumerRunner(
            world.consumer_pool,
            world.transport,
            name,
            [world.topic],
            effect_recorder(name),
            tracer=provider.get_tracer("test"),
        )
        world.background(runner.run(world.stop))
        sent = await publish(world.store, world.producer, "s", 1)

        async def processed() -> bool:
            return len(spans.get_finished_spans()) == 1

        await wait_until(processed, 60, "the process span", diagnose=world.diagnose)

    (span,) = spans.get_finished_spans()
    assert span.name == f"process {world.topic}"
    assert span.kind is SpanKind.CONSUMER
    assert_child_of_the_message(span, sent)


@pytest.mark.kafka
async def test_the_relay_sends_a_message_in_a_send_span_under_the_trace_it_carries(
    dsn: str, bootstrap: str
) -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    async with bus_world("kafka", dsn, bootstrap, partitions=1, tracer=provider.get_tracer("test")) as world:
        sent = await publish(world.store, world.producer, "s", 1)

        async def acked() -> bool:
            return any(s.name == f"send {world.topic}" for s in spans.get_finished_spans())

        await wait_until(acked, 60, "the send span", diagnose=world.diagnose)

    [span] = [s for s in spans.get_finished_spans() if s.name == f"send {world.topic}"]
    assert span.kind is SpanKind.PRODUCER
    assert_child_of_the_message(span, sent)
    assert span.attributes is not None
    assert span.attributes["messaging.destination.name"] == world.topic
    assert span.status.is_ok


def assert_child_of_the_message(span: ReadableSpan, sent: Envelope) -> None:
    """In the trace the message carries, its parent the span that sent the event, and naming the message."""
    assert sent.traceparent is not None
    _, trace_id, parent_span_id, _ = sent.traceparent.split("-")
    assert span.context is not None
    assert span.parent is not None
    assert format(span.context.trace_id, "032x") == trace_id
    assert format(span.parent.span_id, "016x") == parent_span_id
    assert span.attributes is not None
    assert span.attributes["messaging.message.id"] == str(sent.event_id)
