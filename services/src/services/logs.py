"""Structured logs: one JSON object per line, with the trace, span and request ids of the work being done.

Configured once per process by its entrypoint (`configure_logging`). Every record carries the ids that tie
it to a trace (`trace_id`, `span_id`: the current span, or the caller's when tracing is off) and to the HTTP
request (`request_id`), so a log line, a span and an API answer point at each other. Personal data is kept out
of logs by the code (ids, never names or payloads); as a safety net, what looks like an e-mail address, an
IBAN or a French social security number (NIR) is masked before the line is written.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TextIO

import orjson
from opentelemetry import trace

from services.http.problems import request_id_var

MASK = "[redacted]"
_PERSONAL = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail address
    r"|\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"  # IBAN, grouped by 4 or not
    r"|\b[12] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}\b"  # NIR with its key
)


def redact(text: str) -> str:
    return _PERSONAL.sub(MASK, text)


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str | None = None) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if self.service:
            line["service"] = self.service
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            line["trace_id"] = format(span.trace_id, "032x")
            line["span_id"] = format(span.span_id, "016x")
        request_id = request_id_var.get()
        if request_id:
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(line).decode()


def configure_logging(
    *, service: str | None = None, level: str | None = None, stream: TextIO | None = None
) -> None:
    """JSON lines on stderr for the whole process (BACKOFFICE_LOG_FORMAT=text: a terminal's plain lines)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if os.environ.get("BACKOFFICE_LOG_FORMAT", "json") == "text":
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level or os.environ.get("BACKOFFICE_LOG_LEVEL", "INFO"))
    logging.captureWarnings(True)  # Python's warnings as log records too, not stray text on stderr
    sys.excepthook = _log_crash  # and the traceback of a process that dies


def _log_crash(kind: type[BaseException], error: BaseException, traceback: TracebackType | None) -> None:
    logging.getLogger("crash").critical(
        "the process stops on an uncaught exception", exc_info=(kind, error, traceback)
    )
