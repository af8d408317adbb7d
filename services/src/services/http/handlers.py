"""Exception handlers that replace FastAPI's and Starlette's default error bodies with problem details."""

from __future__ import annotations

import email.message
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

from services.http.problems import FieldError, Problem, ProblemMapper, code_for_status, title_for_status

# pydantic error types renamed where ours read better; others pass through (they are documented and stable).
_FIELD_CODES = {"missing": "required", "extra_forbidden": "unknown_field", "json_invalid": "malformed_json"}
_FIELD_DETAILS = {"extra_forbidden": "Unknown field."}


def field_errors(errors: Sequence[Any]) -> list[FieldError]:
    """One entry per offending input. The input's value is left out: it may be personal data."""
    return [
        FieldError(
            param=".".join(str(part) for part in error.get("loc", ())) or "body",
            code=_FIELD_CODES.get(error.get("type", ""), error.get("type", "invalid")),
            detail=_FIELD_DETAILS.get(error.get("type", ""), error.get("msg", "Invalid value.")),
        )
        for error in errors
    ]


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def validation_problem(request: Request, exc: RequestValidationError) -> Problem:
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        reason = next(
            (e.get("ctx", {}).get("error") for e in errors if e.get("type") == "json_invalid"), None
        )
        return Problem(
            400,
            "malformed_json",
            detail="The body is not valid JSON" + (f": {reason}." if reason else "."),
            param="body",
        )
    body_errors = [e for e in errors if tuple(e.get("loc", ()))[:1] == ("body",)]
    if body_errors and request.headers.get("content-length") not in (None, "0"):
        content_type = request.headers.get("content-type")
        if not _is_json(content_type):
            return Problem(
                415,
                "unsupported_media_type",
                detail="Send the body as JSON, with Content-Type: application/json.",
                param="body",
            )
    items = field_errors(errors)
    params = ", ".join(item.param for item in items)
    noun = "input is" if len(items) == 1 else "inputs are"
    return Problem(
        400,
        "validation_failed",
        title="Invalid request",
        detail=f"{len(items)} {noun} invalid: {params}.",
        param=items[0].param if items else None,
        extensions={"errors": [item.model_dump() for item in items]},
    )


def http_exception_problem(request: Request, exc: HTTPException) -> Problem:
    status = exc.status_code
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    if detail == title_for_status(status):
        detail = None
    if "route" not in request.scope and status == 404:
        detail = "No resource at this path."
    elif status == 405:
        allowed = _allowed_methods(request)
        detail = f"{request.method} is not allowed here" + (f"; allowed: {allowed}." if allowed else ".")
        return Problem(
            status, code_for_status(status), detail=detail, headers={**(exc.headers or {}), "Allow": allowed}
        )
    return Problem(status, code_for_status(status), detail=detail, headers=exc.headers)


def _allowed_methods(request: Request) -> str:
    """Every method some route takes at this path: Starlette names only the first route's (GET and POST of
    one path are two routes), and `Allow` must list them all."""
    routes = request.app.router.routes
    allowed = [
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
    ]
    return ", ".join(allowed)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return validation_problem(request, exc).response()


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return http_exception_problem(request, exc).response()


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return exc.response()


def _mapped(mapper: ProblemMapper) -> Any:
    async def handler(request: Request, exc: Exception) -> Response:
        return mapper(exc).response()

    return handler


def install_problem_handlers(app: FastAPI, mappers: Mapping[type[Exception], ProblemMapper]) -> None:
    """Every error the framework or a handler raises leaves as problem+json (the 500s: see the middleware)."""
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_exception)
    app.add_exception_handler(Problem, _on_problem)
    for exc_type, mapper in mappers.items():
        app.add_exception_handler(exc_type, _mapped(mapper))
