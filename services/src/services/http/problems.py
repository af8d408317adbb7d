"""RFC 9457 problem details: the one shape of every error the HTTP APIs answer."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, ConfigDict
from starlette.responses import JSONResponse

from services.eventstore.errors import ConcurrencyConflict
from services.telemetry import current_trace_id

PROBLEM_MEDIA_TYPE = "application/problem+json"
# The one place the problem type URIs are rooted: `type` is PROBLEM_TYPE_BASE + code.
PROBLEM_TYPE_BASE = "https://docs.smartfr.coop/problems/"

# Set by the middleware for the duration of a request; read when a problem is rendered.
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served (the `Request-Id` header), None outside a request."""
    return request_id_var.get()


def problem_type(code: str) -> str:
    return PROBLEM_TYPE_BASE + code


# Codes for the statuses the framework itself answers with (unknown route, wrong method, ...).
STATUS_CODES: Mapping[int, str] = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    412: "precondition_failed",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    428: "precondition_required",
    429: "too_many_requests",
    500: "internal_error",
    501: "not_implemented",
    502: "bad_gateway",
    503: "unavailable",
    504: "gateway_timeout",
}


def code_for_status(status: int) -> str:
    return STATUS_CODES.get(status, "client_error" if status < 500 else "server_error")


def title_for_status(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class FieldError(BaseModel):
    """One offending input; `param` is its dotted location: `body.email`, `query.limit`, `body.lines.0`."""

    model_config = ConfigDict(frozen=True)

    param: str
    code: str
    detail: str


class ProblemDetails(BaseModel):
    """The body of every error response, served as `application/problem+json` (for the OpenAPI document)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    code: str
    request_id: str | None = None
    trace_id: str | None = None
    param: str | None = None
    errors: list[FieldError] | None = None


class Problem(Exception):
    """Raise it from a handler to answer a problem: `raise Problem(404, "member_not_found", detail=...)`.

    `code` is stable and machine-readable (snake_case); `title` defaults to the status phrase; `param` names
    the offending input; `extensions` are extra members of the problem object; `headers` go on the response.
    """

    def __init__(
        self,
        status: int,
        code: str,
        title: str | None = None,
        detail: str | None = None,
        param: str | None = None,
        *,
        extensions: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.title = title or title_for_status(status)
        self.detail = detail
        self.param = param
        self.extensions = dict(extensions or {})
        self.headers = dict(headers or {})
        super().__init__(f"{status} {code}" + (f": {detail}" if detail else ""))

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": problem_type(self.code),
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
            "request_id": current_request_id(),
            "trace_id": current_trace_id(),
        }
        if self.param is not None:
            body["param"] = self.param
        for key, value in self.extensions.items():
            body.setdefault(key, value)
        return body

    def response(self) -> JSONResponse:
        return JSONResponse(
            self.body(), status_code=self.status, headers=self.headers or None, media_type=PROBLEM_MEDIA_TYPE
        )


ProblemMapper = Callable[[Exception], Problem]


def conflict_problem(exc: Exception) -> Problem:
    # The stream id stays out: it names a resource the caller may only know by its public id.
    return Problem(
        409,
        "conflict",
        detail="The resource was changed by another request at the same time; read it again and retry.",
    )


# Chassis errors every service may let escape from a handler, and the problem each becomes.
CHASSIS_PROBLEMS: Mapping[type[Exception], ProblemMapper] = {
    ConcurrencyConflict: conflict_problem,
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for an operation's problems: `@router.post(..., responses=problem_responses(409))`
    (create_app adds the ProblemDetails schema they refer to)."""
    return {
        status: {
            "description": title_for_status(status),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
        }
        for status in statuses
    }
