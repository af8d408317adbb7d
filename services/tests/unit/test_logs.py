"""Structured logs: a JSON object per line, tied to the trace, the span and the request; no personal data."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import orjson
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from services.http.problems import request_id_var
from services.logs import MASK, configure_logging

_TRACER = TracerProvider().get_tracer("test-logs")


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, sys.excepthook)
    out = io.StringIO()
    configure_logging(service="test-svc", level="INFO", stream=out)
    try:
        yield out
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        sys.excepthook = saved[2]
        logging.captureWarnings(False)


def written(out: io.StringIO) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in out.getvalue().splitlines()]


def test_a_record_in_a_request_and_a_span_carries_their_ids(lines: io.StringIO) -> None:
    token = request_id_var.set("req-123")
    try:
        with _TRACER.start_as_current_span("work") as span:
            logging.getLogger("services.test").warning("the relay is %s", "behind")
            context = span.get_span_context()
    finally:
        request_id_var.reset(token)
    [line] = written(lines)
    assert line["message"] == "the relay is behind"
    assert line["level"] == "WARNING"
    assert line["logger"] == "services.test"
    assert line["service"] == "test-svc"
    assert line["request_id"] == "req-123"
    assert line["trace_id"] == format(context.trace_id, "032x")
    assert line["span_id"] == format(context.span_id, "016x")
    assert str(line["time"]).endswith("+00:00")


def test_outside_a_request_or_span_there_are_no_ids(lines: io.StringIO) -> None:
    assert not trace.get_current_span().get_span_context().is_valid
    logging.getLogger("services.test").info("started")
    [line] = written(lines)
    assert "trace_id" not in line
    assert "request_id" not in line


def test_a_traceback_stays_inside_its_one_line(lines: io.StringIO) -> None:
    try:
        raise RuntimeError("boom\nsecond line")
    except RuntimeError:
        logging.getLogger("services.test").exception("handler failed")
    assert len(lines.getvalue().splitlines()) == 1
    [line] = written(lines)
    assert "RuntimeError: boom" in str(line["exception"])


@pytest.mark.parametrize(
    "personal",
    [
        "camille.martin@example.org",
        "FR76 3000 6000 0112 3456 7890 189",
        "FR7630006000011234567890189",
        "2 84 05 75 123 456 07",
        "184057512345607",
    ],
)
def test_personal_data_that_slipped_into_a_message_is_masked(lines: io.StringIO, personal: str) -> None:
    logging.getLogger("services.test").error("could not handle %s for member 42", personal)
    [line] = written(lines)
    assert personal not in str(line["message"])
    assert line["message"] == f"could not handle {MASK} for member 42"


def test_ids_and_amounts_are_left_alone(lines: io.StringIO) -> None:
    message = "event 01a21827-83d1-73b7-b75b-424d34178e92 at position 184 for 123456 cents"
    logging.getLogger("services.test").info(message)
    [line] = written(lines)
    assert line["message"] == message


def test_a_crash_is_logged_as_one_json_line(lines: io.StringIO) -> None:
    try:
        raise ValueError("the settings are wrong")
    except ValueError as error:
        sys.excepthook(type(error), error, error.__traceback__)
    [line] = written(lines)
    assert line["level"] == "CRITICAL"
    assert "ValueError: the settings are wrong" in str(line["exception"])
