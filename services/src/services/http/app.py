"""The HTTP app factory every service and the gateway build their API with."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI
from prometheus_client import REGISTRY, CollectorRegistry
from starlette.middleware import Middleware

from services.http.handlers import install_problem_handlers
from services.http.middleware import ChassisMiddleware
from services.http.probes import READINESS_TIMEOUT_SECONDS, ReadinessCheck, probes_router
from services.http.problems import (
    CHASSIS_PROBLEMS,
    PROBLEM_MEDIA_TYPE,
    FieldError,
    ProblemDetails,
    ProblemMapper,
)

DEFAULT_MAX_BODY_BYTES = 1024 * 1024

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]


def create_app(
    *,
    title: str,
    version: str,
    routers: Sequence[APIRouter],
    lifespan: Lifespan | None = None,
    readiness_checks: Mapping[str, ReadinessCheck] | None = None,
    readiness_timeout_seconds: float = READINESS_TIMEOUT_SECONDS,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    service: str | None = None,
    problem_mappers: Mapping[type[Exception], ProblemMapper] | None = None,
    metrics_registry: CollectorRegistry = REGISTRY,
    description: str = "",
) -> FastAPI:
    """A FastAPI app whose every error is `application/problem+json`, with Request-Id, probes and metrics.

    `service` labels the metrics (defaults to `title`); `problem_mappers` turn the service's own exceptions
    into problems, on top of the chassis's (`ConcurrencyConflict` -> 409 conflict); `/readyz` runs
    `readiness_checks` concurrently, each within `readiness_timeout_seconds`. Requests whose body exceeds
    `max_body_bytes` get 413 before any handler runs.
    """
    if max_body_bytes < 0:
        raise ValueError("max_body_bytes must not be negative")
    app = FastAPI(
        title=title,
        version=version,
        description=description,
        lifespan=lifespan,
        debug=False,
        **_without_native_telemetry(),
    )
    install_problem_handlers(app, {**CHASSIS_PROBLEMS, **(problem_mappers or {})})
    for router in routers:
        app.include_router(router)
    # After the service's routes: routes match in order, and probes are the rare requests.
    app.include_router(probes_router(readiness_checks or {}, metrics_registry, readiness_timeout_seconds))
    app.add_middleware(ChassisMiddleware, service=service or title, max_body_bytes=max_body_bytes)
    _document_problems(app)
    return app


def _without_native_telemetry() -> dict[str, Any]:
    """Turn off FastAPI's own OpenTelemetry (FastAPI >= 0.16x) where it exists.

    The chassis middleware already makes the one server span per request (and carries the caller's trace even
    with tracing off); FastAPI's would nest a second one around it, and its logs record validation failures
    with the rejected input values, which may be personal data.
    """
    if "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    off = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}
    return {"telemetry": off}


def _document_problems(app: FastAPI) -> None:
    """Make the OpenAPI document tell the truth: validation errors are 400 problems, not FastAPI's 422."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _rewrite_validation_responses(generate())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _rewrite_validation_responses(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if components.pop("HTTPValidationError", None) is not None:
        components.pop("ValidationError", None)
    components["FieldError"] = FieldError.model_json_schema()
    components["ProblemDetails"] = ProblemDetails.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    components["ProblemDetails"].pop("$defs", None)
    problem = {
        "description": "Invalid request",
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
    }
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses", {}) if isinstance(operation, dict) else {}
            if _is_fastapis_validation_error(responses.get("422")):
                del responses["422"]
                responses.setdefault("400", problem)


def _is_fastapis_validation_error(response: Any) -> bool:
    """FastAPI's own 422 (it points at HTTPValidationError); a 422 a route declares itself stays."""
    return "HTTPValidationError" in json.dumps(response) if response is not None else False


def add_inner_middleware(app: FastAPI, middleware_class: Any, **options: Any) -> None:
    """Add an ASGI middleware that runs inside the chassis's (after Request-Id, body limit, error shapes).

    Starlette's `add_middleware` puts the newest outermost; the chassis's must stay outside so that every
    answer, a 429 from a rate limiter included, carries a Request-Id and is a problem when it is an error.
    Middlewares added this way run in the order they are added, outer first.
    """
    app.user_middleware.append(Middleware(middleware_class, **options))
