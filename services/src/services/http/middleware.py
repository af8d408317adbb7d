"""One pure ASGI middleware for what every request needs, kept on the hot path's budget.

It gives the request its id, runs it in a server span (continuing an incoming `traceparent`), refuses an
oversize body before any handler runs, turns an unhandled exception into a 500 problem (logged here with its
traceback, never sent), and records the golden-signal metrics by route template.
"""

from __future__ import annotations

import gc
import logging
import os
import re
import time
from contextvars import Token

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.http.problems import Problem, request_id_var
from services.metrics import HTTP_ACTIVE_REQUESTS, HTTP_REQUEST_DURATION, HTTP_REQUESTS, UNMATCHED_ROUTE
from services.telemetry import context_from_traceparent

logger = logging.getLogger("services.http")
_tracer = trace.get_tracer("services.http")

REQUEST_ID_HEADER = b"request-id"
_X_REQUEST_ID_HEADER = b"x-request-id"
# An incoming id is echoed only if it is short and plain: it lands in logs and headers.
_VALID_REQUEST_ID = re.compile(rb"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")


# Other methods are labelled _OTHER (as OpenTelemetry does): the client picks it, the label set must not grow.
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class BodyTooLarge(Exception):
    pass


class _TracingSwitch:
    """Whether an SDK tracer provider is set. `trace.get_tracer_provider()` reads the environment on every
    call while none is (a few % of a cached gateway read): once one is set it stays, so until then ask again
    at most once a second."""

    def __init__(self) -> None:
        self._on = False
        self._next_check = 0.0

    def on(self) -> bool:
        if self._on:
            return True
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + 1.0
            self._on = not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
        return self._on


_tracing = _TracingSwitch()


def new_request_id() -> bytes:
    """A random UUID (version 4) as text, from 16 random bytes without building a `uuid.UUID` (3x faster)."""
    h = os.urandom(16).hex()
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}".encode()


def _enter_trace(method: str, traceparent: str | None) -> tuple[Span | None, Token[Context] | None]:
    """Start the server span, continuing the caller's trace; without an SDK only carry the caller's context.

    Without an SDK provider (tracing off) a span would be a no-op that still costs on every request, so only
    an incoming traceparent is attached: handlers and problems then still see the caller's trace id.
    """
    parent = context_from_traceparent(traceparent) if traceparent else None
    if not _tracing.on():
        return None, (otel_context.attach(parent) if parent is not None else None)
    span = _tracer.start_span(method, context=parent, kind=SpanKind.SERVER)
    return span, otel_context.attach(trace.set_span_in_context(span, parent))


def _end_span(span: Span, method: str, route: str, status: int) -> None:
    span.update_name(f"{method} {route}")
    span.set_attribute("http.request.method", method)
    span.set_attribute("http.route", route)
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))
    span.end()


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


def freeze_heap_once() -> None:
    """Once per process, at its first request: collect, then move every object alive into the permanent
    generation (`gc.freeze`), so that later full collections scan only what requests allocate.

    A process starts with some 130,000 objects (FastAPI, pydantic, the routes' models, the drivers): a full
    collection of them took about 100 ms here, paid by whichever request triggered it (the p99 of a cached
    gateway read went from 92 to 21 ms). Done at the first request rather than at import so that the startup's
    objects (pool, runners, caches) are in it, and once so that a test session does not pin garbage.
    """
    global _heap_frozen
    if not _heap_frozen:
        _heap_frozen = True
        gc.collect()
        gc.freeze()


_heap_frozen = False


class ChassisMiddleware:
    def __init__(self, app: ASGIApp, *, service: str, max_body_bytes: int) -> None:
        self.app = app
        self.service = service
        self.max_body_bytes = max_body_bytes
        self._active = HTTP_ACTIVE_REQUESTS.labels(service)
        # Label children by (method, route, status), looked up once: labels() costs more than the increment.
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        if not _heap_frozen:
            freeze_heap_once()
        started_at = time.perf_counter()
        request_id: bytes | None = None
        traceparent: str | None = None
        content_length: bytes | None = None
        has_body = False
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER or (name == _X_REQUEST_ID_HEADER and request_id is None):
                if _VALID_REQUEST_ID.match(value):
                    request_id = value
            elif name == b"traceparent":
                traceparent = value.decode("latin-1")
            elif name == b"content-length":
                content_length, has_body = value, True
            elif name == b"transfer-encoding":
                has_body = True
        if request_id is None:
            request_id = new_request_id()
        request_id_text = request_id.decode()
        scope.setdefault("state", {})["request_id"] = request_id_text
        request_id_token = request_id_var.set(request_id_text)

        method: str = scope["method"] if scope["method"] in _KNOWN_METHODS else "_OTHER"
        span, context_token = _enter_trace(method, traceparent)

        status = 500
        response_started = False

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = [*message.get("headers", ()), (REQUEST_ID_HEADER, request_id)]
            await send(message)

        self._active.inc()
        try:
            if has_body:
                receive = await self._buffered_body(content_length, receive)
            await self.app(scope, receive, send_with_request_id)
        except BodyTooLarge:
            problem = Problem(413, "body_too_large", detail=f"The body exceeds {self.max_body_bytes} bytes.")
            await problem.response()(scope, receive, send_with_request_id)
        except Exception as exc:
            logger.exception("unhandled error in %s %s (request %s)", method, scope["path"], request_id_text)
            if span is not None:
                span.record_exception(exc)
            if response_started:
                raise  # the server can only drop the connection now
            problem = Problem(
                500,
                "internal_error",
                detail="An unexpected error occurred; it is logged under this request id.",
            )
            await problem.response()(scope, receive, send_with_request_id)
        finally:
            route = _route_template(scope)
            self._record(method, route, status, time.perf_counter() - started_at)
            self._active.dec()
            if span is not None:
                _end_span(span, method, route, status)
            if context_token is not None:
                otel_context.detach(context_token)
            request_id_var.reset(request_id_token)

    def _record(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            labels = (self.service, method, route, str(status))
            series = self._series[key] = (
                HTTP_REQUESTS.labels(*labels),
                HTTP_REQUEST_DURATION.labels(*labels),
            )
        series[0].inc()
        series[1].observe(seconds)

    async def _buffered_body(self, content_length: bytes | None, receive: Receive) -> Receive:
        """Read the whole body now, counting bytes (Content-Length may lie or be absent), then replay it."""
        if content_length is not None:
            try:
                declared = int(content_length)
            except ValueError:
                declared = 0  # the server would have refused it; let the count decide
            if declared > self.max_body_bytes:
                raise BodyTooLarge
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away: hand the disconnect to the app as it would have seen it.
                return _replay([], message, receive)
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return _replay(chunks, None, receive)


def _replay(chunks: list[bytes], pending: Message | None, receive: Receive) -> Receive:
    first: Message | None = (
        pending
        if pending is not None
        else {"type": "http.request", "body": b"".join(chunks), "more_body": False}
    )

    async def replay() -> Message:
        nonlocal first
        if first is not None:
            message, first = first, None
            return message
        return await receive()

    return replay
