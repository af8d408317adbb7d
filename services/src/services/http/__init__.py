"""The HTTP app factory: FastAPI with problem+json errors, Request-Id, probes and metrics."""

from services.http.app import DEFAULT_MAX_BODY_BYTES, add_inner_middleware, create_app
from services.http.handlers import field_errors
from services.http.middleware import REQUEST_ID_HEADER
from services.http.probes import ReadinessCheck
from services.http.problems import (
    CHASSIS_PROBLEMS,
    PROBLEM_MEDIA_TYPE,
    PROBLEM_TYPE_BASE,
    FieldError,
    Problem,
    ProblemDetails,
    ProblemMapper,
    current_request_id,
    problem_responses,
    problem_type,
)

__all__ = [
    "CHASSIS_PROBLEMS",
    "DEFAULT_MAX_BODY_BYTES",
    "PROBLEM_MEDIA_TYPE",
    "PROBLEM_TYPE_BASE",
    "REQUEST_ID_HEADER",
    "FieldError",
    "Problem",
    "ProblemDetails",
    "ProblemMapper",
    "ReadinessCheck",
    "add_inner_middleware",
    "create_app",
    "current_request_id",
    "field_errors",
    "problem_responses",
    "problem_type",
]
