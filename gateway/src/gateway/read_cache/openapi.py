"""What the OpenAPI document says of routes answered from the read cache: `If-None-Match`, and its 304."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from gateway.read_cache.marker import is_cached_read

HEADER = "If-None-Match"


def cached_paths(app: FastAPI) -> list[str]:
    """The paths of the GET routes marked `@cached_read`."""
    return sorted(
        context.path_format
        for context in iter_route_contexts(app.routes)
        if context.path_format is not None
        and is_cached_read(context.original_route)
        and "GET" in (getattr(context.original_route, "methods", None) or ())
    )


def amend_document(document: dict[str, Any], paths: list[str]) -> None:
    parameter = {
        "name": HEADER,
        "in": "header",
        "required": False,
        "description": "The ETag of a read you hold: answered 304 without a body while it is current.",
        "schema": {"type": "string", "maxLength": 256},
    }
    not_modified = {
        "description": "Not modified: the ETag you sent is the resource's current one (answered from the "
        "gateway's cache, so only on a repeated read).",
        "headers": {"ETag": {"description": "The current version.", "schema": {"type": "string"}}},
    }
    for path in paths:
        operation = document.get("paths", {}).get(path, {}).get("get")
        if not isinstance(operation, dict):
            continue
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == HEADER for p in parameters):
            parameters.append(parameter)
        operation.setdefault("responses", {}).setdefault("304", not_modified)
