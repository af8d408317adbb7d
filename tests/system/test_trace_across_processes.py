"""One trace across processes: a signed hire, from the association's webhook through contracts and payroll
to billing.

Every process of a distributed run exports its spans over OTLP/HTTP (protobuf, the standard
OTEL_EXPORTER_OTLP_* variables) to a receiver inside this test. The test plays the association's system: it
starts the trace and sends its `traceparent` with the hire, the work report and the completion, as a
partner continuing its own trace would. Then every span of that trace must hang from the test's root
without a missing link; each `process <topic>` span must have for parent the context its message carried
(the outbox row's traceparent, read from the producer's schema), as has the relay's `send <topic>` span
of the same message; the trace must cross the gateway, contracts
and payroll processes along the flow (payroll's process span of the completion under contracts' span under
the gateway's) and reach billing's consumers of the payslip; and no span name or attribute may carry the
employee's identity or an IBAN. And a message that fails in a consumer leaves log lines (JSON) carrying its
trace id and the id of the consumer's span.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanProto

from tests.e2e.deployments import PROCESSES, Deployment
from tests.e2e.observability import (
    OBSERVED_TIMEOUT,
    business_flow,
    environment,
    observed_deployment,
    poison,
)
from tests.e2e.test_hires import hire

WITHIN = 90.0  # seconds for the last spans to be exported (batches every 100 ms, the machine is shared)
ROOT_TRACE = os.urandom(16).hex()
ROOT_SPAN = os.urandom(8).hex()
TRACEPARENT = f"00-{ROOT_TRACE}-{ROOT_SPAN}-01"
# What the hire carries about the person (test_hires.hire): none of it may show in a span.
EMPLOYEE = hire("X", "x", datetime.now(UTC))["employee"]
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}\b")
NIR = re.compile(r"\b[12]\d{12}(?:\d{2})?\b")
SERVER, CONSUMER = SpanProto.SPAN_KIND_SERVER, SpanProto.SPAN_KIND_CONSUMER
PRODUCER = SpanProto.SPAN_KIND_PRODUCER


@dataclass(frozen=True)
class Span:
    service: str
    trace_id: str
    span_id: str
    parent_id: str
    name: str
    kind: int
    attributes: dict[str, str]


class Receiver:
    """An OTLP/HTTP trace receiver on loopback, keeping every span it is sent."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                receiver.keep(ExportTraceServiceRequest.FromString(body))
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    def keep(self, request: ExportTraceServiceRequest) -> None:
        found = []
        for resource_spans in request.resource_spans:
            resource = {a.key: _text(a.value) for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    found.append(
                        Span(
                            service=resource.get("service.name", ""),
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_id=span.parent_span_id.hex(),
                            name=span.name,
                            kind=span.kind,
                            attributes={a.key: _text(a.value) for a in span.attributes},
                        )
                    )
        with self._lock:
            self.spans.extend(found)

    def trace(self, trace_id: str) -> list[Span]:
        with self._lock:
            return [span for span in self.spans if span.trace_id == trace_id]


def _text(value: AnyValue) -> str:
    kind = value.WhichOneof("value")
    return "" if kind is None else str(getattr(value, kind))


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    thread = threading.Thread(target=made.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield made
    finally:
        made.server.shutdown()
        made.server.server_close()


@pytest_asyncio.fixture(scope="module")
async def traced_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("traced-processes")


@pytest_asyncio.fixture(scope="module")
async def traced(
    traced_logs: Path, database_url: str, kafka_bootstrap: str, receiver: Receiver
) -> AsyncIterator[Deployment]:
    """A distributed run whose every process exports its spans to the receiver."""
    exporting = {
        **{f"{name.upper()}_OTEL_ENABLED": "true" for name in PROCESSES},
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_BSP_SCHEDULE_DELAY": "100",  # ms: export within moments, not the default 5 s
    }
    with environment(exporting):
        async with observed_deployment(database_url, kafka_bootstrap, traced_logs) as deployment:
            yield deployment


async def published(deployment: Deployment, event_id: str) -> str | None:
    """The traceparent the message's outbox row carried, from the schema of the service that produced it."""
    for schema in PROCESSES:
        found = await deployment.fetchval(
            schema, "SELECT COALESCE(traceparent, '') FROM outbox WHERE event_id = $1::uuid", event_id
        )
        if found is not None:
            return str(found) or None
    return None


def path_to_root(span: Span, by_id: dict[str, Span]) -> list[Span]:
    """The span and its ancestors, up to (not including) the test's root."""
    chain = [span]
    while chain[-1].parent_id != ROOT_SPAN:
        chain.append(by_id[chain[-1].parent_id])
    return chain


@pytest.mark.kafka
@pytest.mark.slow
@pytest.mark.timeout(OBSERVED_TIMEOUT)
async def test_a_signed_hire_is_one_trace_from_the_webhook_through_contracts_to_payroll(
    traced: Deployment, receiver: Receiver
) -> None:
    flow = await business_flow(traced, headers={"traceparent": TRACEPARENT})
    contract_id = flow["hire"]["contract_id"]

    # The completion's ContractCompleted, as contracts published it (payroll also sees the hire's events).
    completed = await traced.fetchval(
        "contracts",
        "SELECT event_id::text FROM outbox WHERE message_key = $1"
        " AND envelope->>'event_type' = 'contracts.ContractCompleted'",
        f"contract-{contract_id}",
    )
    assert completed is not None

    def payroll_handled_the_completion() -> list[Span]:
        return [
            s
            for s in receiver.trace(ROOT_TRACE)
            if s.service == "payroll"
            and s.name == "process contracts.events"
            and s.attributes.get("messaging.message.id") == completed
        ]

    # Billing consumes payroll's events (the GDC month, activity accounts): the payslip's PayslipIssued.
    issued = await traced.fetchval(
        "payroll",
        "SELECT event_id::text FROM outbox WHERE message_key = $1"
        " AND envelope->>'event_type' = 'payroll.PayslipIssued'",
        f"payslip-{flow['payslip']['id']}",
    )
    assert issued is not None

    def billing_heard_of_the_payslip() -> list[Span]:
        return [
            s
            for s in receiver.trace(ROOT_TRACE)
            if s.service == "billing"
            and s.name == "process payroll.events"
            and s.attributes.get("messaging.message.id") == issued
        ]

    deadline = time.monotonic() + WITHIN
    while not (payroll_handled_the_completion() and billing_heard_of_the_payslip()):
        assert time.monotonic() < deadline, (
            f"after {WITHIN}s, payroll's span of the completion: {bool(payroll_handled_the_completion())},"
            f" billing's of the payslip: {bool(billing_heard_of_the_payslip())}; the trace's spans:"
            f" {sorted({(s.service, s.name) for s in receiver.trace(ROOT_TRACE)})}"
        )
        await asyncio.sleep(0.2)  # the next export batch is what we wait for
    # Spans of the same requests may still be in a batch: wait until the tree has no missing link, and each
    # message processed has the relay's `send` span too.
    while True:
        spans = receiver.trace(ROOT_TRACE)
        by_id = {s.span_id: s for s in spans}
        orphans = [s for s in spans if s.parent_id != ROOT_SPAN and s.parent_id not in by_id]
        sent = {(s.name.removeprefix("send "), s.attributes.get("messaging.message.id")) for s in spans}
        unsent = [
            s
            for s in spans
            if s.name.startswith("process ")
            and (s.name.removeprefix("process "), s.attributes.get("messaging.message.id")) not in sent
        ]
        if not orphans and not unsent:
            break
        assert time.monotonic() < deadline, f"spans whose parent never came: {orphans}; never sent: {unsent}"
        await asyncio.sleep(0.2)

    # One trace, rooted at the association's span, across four processes.
    assert {s.service for s in spans} >= {"gateway", "contracts", "payroll", "billing"}, {
        s.service for s in spans
    }
    assert len(by_id) == len(spans), "every span exported once"
    roots = [s for s in spans if s.parent_id == ROOT_SPAN]
    assert {s.name for s in roots} >= {
        "POST /v1/webhooks/hires",
        "POST /v1/contracts/{contract_id}/completion",
    }, sorted(s.name for s in roots)
    assert all(s.service == "gateway" and s.kind == SERVER for s in roots)

    # Every consumer's span continues the context its message carried, read back from the outbox.
    processed = [s for s in spans if s.name.startswith("process ")]
    assert processed
    for span in processed:
        assert span.kind == CONSUMER
        topic = span.name.removeprefix("process ")
        assert span.attributes["messaging.destination.name"] == topic
        carried = await published(traced, span.attributes["messaging.message.id"])
        assert carried is not None, f"{span.name} in {span.service}: its message is in no outbox"
        assert carried.split("-")[1:3] == [ROOT_TRACE, span.parent_id], (span, carried)
        producer = by_id[span.parent_id]
        assert producer.service != span.service or topic.startswith(f"{span.service}."), (span, producer)
        # ... and the producer's relay sent it in a `send <topic>` span under the same context.
        sends = [
            s
            for s in spans
            if s.name == f"send {topic}"
            and s.attributes["messaging.message.id"] == span.attributes["messaging.message.id"]
        ]
        assert sends, span
        for send in sends:
            assert (send.kind, send.service) == (PRODUCER, producer.service), send
            assert send.parent_id == span.parent_id, send
            assert send.attributes["messaging.destination.name"] == topic

    # The hire: webhook (gateway) -> its stored message consumed by the gateway -> contracts' internal API.
    [accepted] = [s for s in spans if s.service == "contracts" and s.name == "PUT /internal/hires/{hire_id}"]
    assert [(s.service, s.name) for s in path_to_root(accepted, by_id)] == [
        ("contracts", "PUT /internal/hires/{hire_id}"),
        ("gateway", "process gateway.events"),
        ("gateway", "POST /v1/webhooks/hires"),
    ]
    # The completion: gateway -> contracts (ContractCompleted over Kafka) -> payroll's payslip.
    [payslip] = payroll_handled_the_completion()
    assert [(s.service, s.name) for s in path_to_root(payslip, by_id)] == [
        ("payroll", "process contracts.events"),
        ("contracts", "POST /internal/contracts/{contract_id}/completion"),
        ("gateway", "POST /v1/contracts/{contract_id}/completion"),
    ]
    assert payslip.attributes["messaging.consumer.group.name"] == "payroll.payslips"
    # ... -> billing, under the same completion (its parent: what PayslipIssued carried, checked above).
    for heard in billing_heard_of_the_payslip():
        assert by_id[heard.parent_id] == payslip, "PayslipIssued carries the span that issued it"
        root = path_to_root(heard, by_id)[-1]
        assert (root.service, root.name) == ("gateway", "POST /v1/contracts/{contract_id}/completion")

    # No personal data in a span: not the employee's names, birth date, NIR, nor any IBAN.
    identity = [EMPLOYEE[field] for field in ("last_name", "first_names", "birth_date", "birth_place", "nir")]
    for span in spans:
        text = " ".join([span.name, *span.attributes.keys(), *span.attributes.values()])
        leaked = [value for value in identity if value in text]
        assert not leaked, (span, leaked)
        assert not IBAN.search(text), span
        assert not NIR.search(text), span


@pytest.mark.kafka
@pytest.mark.slow
@pytest.mark.timeout(OBSERVED_TIMEOUT)
async def test_a_failing_message_logs_json_lines_with_its_trace_and_span_ids(
    traced: Deployment, receiver: Receiver, kafka_bootstrap: str, traced_logs: Path
) -> None:
    trace_id, parent = os.urandom(16).hex(), os.urandom(8).hex()
    traceparent = f"00-{trace_id}-{parent}-01"
    envelope = await poison(kafka_bootstrap, traceparent=traceparent)

    def contracts_failures() -> list[dict[str, Any]]:
        lines = (traced_logs / "contracts.log").read_text().splitlines()
        records = [json.loads(line) for line in lines if line.startswith("{")]
        return [r for r in records if r.get("trace_id") == trace_id]

    # The consumer commits messages together (ADR 022): the poison fails its slice, then runs alone, each
    # run a span of its own under the message's trace; the failures logged are the lone run's.
    deadline = time.monotonic() + WITHIN
    while True:
        spans = [
            s
            for s in receiver.trace(trace_id)
            if s.service == "contracts" and s.name == "process members.events"
        ]
        logged = contracts_failures()
        lone = [s for s in spans if logged and all(r["span_id"] == s.span_id for r in logged)]
        if lone:
            break
        assert time.monotonic() < deadline, f"after {WITHIN}s: spans {spans}, log lines {logged}"
        await asyncio.sleep(0.2)  # the consumer's retries and the next export batch
    assert all(s.parent_id == parent for s in spans), spans
    assert all(r["service"] == "contracts" and r["level"] in ("WARNING", "ERROR") for r in logged), logged
    assert any(str(envelope.event_id) in r["message"] for r in logged), logged
