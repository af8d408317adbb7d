"""Every error the app factory's apps answer is RFC 9457 problem+json, with a code and the request id."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from services.eventstore.errors import ConcurrencyConflict
from services.http import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE, Problem, create_app


class Application(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str
    category: int = Field(ge=1, le=9)
    person_kind: str = "natural_person"


class Boom(Exception):
    pass


class ItemMissing(Exception):
    pass


SECRET = "s3cr3t-connection-string-that-must-not-leak"


def build_app() -> FastAPI:
    router = APIRouter()

    @router.post("/applications", status_code=201)
    async def apply(application: Application) -> dict[str, Any]:
        return {"email": application.email}

    @router.get("/items/{item_id}")
    async def item(item_id: int, limit: int = 10) -> dict[str, int]:
        if item_id == 404:
            raise HTTPException(404, "No such item.")
        if item_id == 409:
            raise ConcurrencyConflict("item-409", 3, 4)
        if item_id == 410:
            raise Problem(410, "item_archived", detail="The item was archived.", param="item_id")
        if item_id == 411:
            raise ItemMissing
        if item_id == 500:
            raise Boom(SECRET)
        return {"item_id": item_id, "limit": limit}

    return create_app(
        title="test-problems",
        version="1",
        routers=[router],
        max_body_bytes=1000,
        problem_mappers={ItemMissing: lambda exc: Problem(404, "item_not_found", detail="No item.")},
    )


@pytest.fixture(scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(), raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == PROBLEM_TYPE_BASE + code
    assert isinstance(body["title"], str)
    assert body["title"]
    assert body["request_id"] == response.headers["request-id"]
    assert "trace_id" in body
    return body


async def test_a_valid_request_passes_through(client: httpx.AsyncClient) -> None:
    response = await client.post("/applications", json={"email": "a@example.org", "category": 2})
    assert response.status_code == 201
    assert response.json() == {"email": "a@example.org"}


async def test_an_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/nowhere"), 404, "not_found")
    assert body["detail"] == "No resource at this path."


async def test_a_wrong_method_is_a_405_problem_that_names_the_allowed_ones(client: httpx.AsyncClient) -> None:
    response = await client.delete("/applications")
    body = assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "POST"
    assert "POST" in body["detail"]


async def test_an_http_exception_from_a_handler_keeps_its_detail(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/items/404"), 404, "not_found")
    assert body["detail"] == "No such item."


async def test_malformed_json_is_a_400_problem(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/applications", content=b'{"email": "a@example.org",', headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 400, "malformed_json")
    assert body["param"] == "body"


async def test_a_wrong_type_is_a_400_problem_naming_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/applications", json={"email": "a@example.org", "category": "two"})
    body = assert_problem(response, 400, "validation_failed")
    assert body["param"] == "body.category"
    assert body["errors"] == [
        {"param": "body.category", "code": "int_parsing", "detail": body["errors"][0]["detail"]}
    ]
    assert "two" not in json.dumps(body)  # the offending value is not echoed


async def test_every_offending_field_is_listed_and_the_first_is_the_param(client: httpx.AsyncClient) -> None:
    response = await client.post("/applications", json={"category": 12, "nickname": "x"})
    body = assert_problem(response, 400, "validation_failed")
    by_param = {error["param"]: error["code"] for error in body["errors"]}
    assert by_param == {
        "body.email": "required",
        "body.category": "less_than_equal",
        "body.nickname": "unknown_field",
    }
    assert body["param"] == body["errors"][0]["param"]


async def test_an_unknown_field_is_a_400_problem_naming_it(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/applications", json={"email": "a@example.org", "category": 1, "is_admin": True}
    )
    body = assert_problem(response, 400, "validation_failed")
    assert body["param"] == "body.is_admin"
    assert body["errors"][0]["code"] == "unknown_field"


async def test_path_and_query_errors_are_named_by_their_location(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/items/x?limit=y"), 400, "validation_failed")
    assert [error["param"] for error in body["errors"]] == ["path.item_id", "query.limit"]


async def test_a_body_that_is_not_json_is_a_415_problem(client: httpx.AsyncClient) -> None:
    response = await client.post("/applications", content=b"email=a", headers={"content-type": "text/plain"})
    assert_problem(response, 415, "unsupported_media_type")


async def test_an_oversize_body_is_a_413_problem(client: httpx.AsyncClient) -> None:
    response = await client.post("/applications", json={"email": "a" * 2000, "category": 1})
    assert_problem(response, 413, "body_too_large")


async def test_an_oversize_body_sent_in_chunks_without_length_is_refused(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"email": "'
        for _ in range(20):
            yield b"a" * 100
        yield b'", "category": 1}'

    response = await client.post(
        "/applications", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_problem(response, 413, "body_too_large")


async def test_a_body_longer_than_its_content_length_claims_is_refused() -> None:
    """The limit counts the bytes that arrive; a lying Content-Length does not get a body past it."""
    app = build_app()
    sent: list[MutableMapping[str, Any]] = []
    pieces = [b'{"email": "' + b"a" * 600, b"a" * 600 + b'", "category": 1}']

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": pieces.pop(0), "more_body": bool(pieces)}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/applications",
        "raw_path": b"/applications",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"10")],
        "server": ("test", 80),
        "client": ("127.0.0.1", 1),
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["code"] == "body_too_large"


async def test_a_body_within_the_limit_reaches_the_handler_whole(client: httpx.AsyncClient) -> None:
    email = "b" * 900 + "@x.org"

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"email": "'
        yield email.encode()
        yield b'", "category": 1}'

    response = await client.post(
        "/applications", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 201
    assert response.json() == {"email": email}


async def test_a_raised_problem_keeps_its_fields(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/items/410"), 410, "item_archived")
    assert body["detail"] == "The item was archived."
    assert body["param"] == "item_id"


async def test_a_concurrency_conflict_is_a_409_problem(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/items/409"), 409, "conflict")
    assert "item-409" not in body["detail"]


async def test_a_service_exception_is_mapped_by_its_problem_mapper(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/items/411"), 404, "item_not_found")


async def test_an_unhandled_exception_is_a_500_problem_that_leaks_nothing(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="services.http"):
        response = await client.get("/items/500")
    body = assert_problem(response, 500, "internal_error")
    assert SECRET not in response.text
    assert "Boom" not in response.text
    assert "Traceback" not in response.text
    # The server's log has the whole story, under the same request id.
    assert any(record.exc_info and SECRET in str(record.exc_info[1]) for record in caplog.records)
    assert body["request_id"] in caplog.text


async def test_the_openapi_document_shows_validation_errors_as_400_problems(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    responses = document["paths"]["/applications"]["post"]["responses"]
    assert "422" not in responses
    assert PROBLEM_MEDIA_TYPE in responses["400"]["content"]
    assert "ProblemDetails" in document["components"]["schemas"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
