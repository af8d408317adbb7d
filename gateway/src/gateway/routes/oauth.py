"""POST /v1/oauth/token: the OAuth2 client-credentials grant (RFC 6749 §4.4), and the token keys (JWKS).

Errors follow RFC 6749 §5.2 (`error`, `error_description`) inside our problem+json (`code` = `error`), so an
OAuth2 library and a problem-aware client both read them.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal
from urllib.parse import parse_qs, unquote_plus

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from gateway.auth.lookup import ClientRecord, find_client_by_secret
from gateway.auth.middleware import authenticator_of
from services.http import PROBLEM_MEDIA_TYPE, Problem

router = APIRouter(prefix="/v1/oauth", tags=["oauth"])

_FORM = "application/x-www-form-urlencoded"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_MAX_FIELD_CHARS = 1024


class AccessToken(BaseModel):
    access_token: str = Field(description="A signed JWT (ES256): send it as `Authorization: Bearer <token>`.")
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds the token stays valid; ask for a new one after.")
    scope: str = Field(description="The scopes granted, space-separated.")


def _oauth_error(status: int, error: str, description: str, *, basic: bool = False) -> Problem:
    headers = dict(_NO_STORE)
    if status == 401:
        # RFC 6749 §5.2: a client that authenticated with Basic gets the scheme it used back.
        headers["WWW-Authenticate"] = 'Basic realm="smartfr"' if basic else 'Bearer realm="smartfr"'
    return Problem(
        status,
        error,
        detail=description,
        extensions={"error": error, "error_description": description},
        headers=headers,
    )


def _problem_example(status: int, error: str, description: str) -> dict[str, Any]:
    return {
        "type": f"https://docs.smartfr.coop/problems/{error}",
        "title": "Unauthorized" if status == 401 else "Bad Request",
        "status": status,
        "detail": description,
        "code": error,
        "error": error,
        "error_description": description,
        "request_id": "0b8e7d7e-4c1b-4f7e-9d0a-6f5d9c1e2a3b",
        "trace_id": None,
    }


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "invalid_request, unsupported_grant_type or invalid_scope (RFC 6749 §5.2)",
        "content": {
            PROBLEM_MEDIA_TYPE: {
                "schema": {"$ref": "#/components/schemas/ProblemDetails"},
                "example": _problem_example(
                    400, "invalid_scope", "not a scope of this client: payslips:read"
                ),
            }
        },
    },
    401: {
        "description": "invalid_client: unknown client, wrong or expired secret, revoked client",
        "content": {
            PROBLEM_MEDIA_TYPE: {
                "schema": {"$ref": "#/components/schemas/ProblemDetails"},
                "example": _problem_example(401, "invalid_client", "client authentication failed"),
            }
        },
    },
}

_FORM_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            _FORM: {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "scope": {
                            "type": "string",
                            "description": "Space-separated scopes, a subset of the client's (default: all).",
                        },
                        "client_id": {"type": "string", "description": "If not sent with HTTP Basic."},
                        "client_secret": {"type": "string", "description": "If not sent with HTTP Basic."},
                    },
                },
                "example": {"grant_type": "client_credentials", "scope": "members:read"},
            }
        },
    }
}


def _form(body: bytes) -> dict[str, str]:
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as error:
        raise _oauth_error(400, "invalid_request", "the body is not UTF-8") from error
    repeated = sorted(name for name, values in fields.items() if len(values) > 1)
    if repeated:
        raise _oauth_error(400, "invalid_request", f"parameters sent more than once: {', '.join(repeated)}")
    form = {name: values[0] for name, values in fields.items()}
    if any(len(value) > _MAX_FIELD_CHARS for value in form.values()):
        raise _oauth_error(400, "invalid_request", "a parameter is too long")
    return form


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise _oauth_error(401, "invalid_client", "malformed Basic credentials", basic=True) from error
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise _oauth_error(401, "invalid_client", "malformed Basic credentials", basic=True)
    # RFC 6749 §2.3.1: each part is form-urlencoded before it is joined.
    return unquote_plus(client_id), unquote_plus(secret)


@router.post(
    "/token",
    response_model=AccessToken,
    summary="Get an access token (OAuth2 client credentials)",
    description=(
        "Authenticate the client with HTTP Basic (`client_id:client_secret`) or with the `client_id` and "
        "`client_secret` form fields, and get a short-lived access token for the client's tenant. `scope` "
        "may narrow the client's scopes. Errors carry the RFC 6749 `error` code beside our `code`."
    ),
    responses={
        200: {
            "headers": {"Cache-Control": {"schema": {"type": "string"}, "description": "no-store"}},
            "content": {
                "application/json": {
                    "example": {
                        "access_token": "eyJhbGciOiJFUzI1NiIsImtpZCI6Ii4uLiIsInR5cCI6ImF0K2p3dCJ9...",
                        "token_type": "Bearer",
                        "expires_in": 900,
                        "scope": "members:read members:write",
                    }
                }
            },
        },
        **_ERRORS,
    },
    openapi_extra=_FORM_BODY,
)
async def issue_token(request: Request) -> JSONResponse:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != _FORM:
        raise _oauth_error(400, "invalid_request", f"send the parameters as {_FORM}")
    form = _form(await request.body())
    basic = _basic_credentials(request)
    in_form = "client_id" in form or "client_secret" in form
    if basic is not None and in_form:
        raise _oauth_error(400, "invalid_request", "authenticate the client one way only: Basic or form")
    client_id, secret = basic if basic is not None else (form.get("client_id"), form.get("client_secret"))
    grant_type = form.get("grant_type")
    if not grant_type:
        raise _oauth_error(400, "invalid_request", "grant_type is required")
    if grant_type != "client_credentials":
        raise _oauth_error(400, "unsupported_grant_type", "only grant_type=client_credentials is supported")
    if not client_id or not secret:
        raise _oauth_error(
            401, "invalid_client", "client authentication is required", basic=basic is not None
        )
    authenticator = authenticator_of(request.app)
    client = await find_client_by_secret(request.app.state.resources.pool, client_id, secret)
    if client is None:
        raise _oauth_error(401, "invalid_client", "client authentication failed", basic=basic is not None)
    scopes = _granted(client, form.get("scope"))
    issued = authenticator.tokens.issue(client_id=client.client_id, tenant=client.tenant, scopes=scopes)
    body = AccessToken(
        access_token=issued.access_token, expires_in=issued.expires_in, scope=" ".join(sorted(scopes))
    )
    return JSONResponse(body.model_dump(), headers=_NO_STORE)


def _granted(client: ClientRecord, requested: str | None) -> frozenset[str]:
    if requested is None or not requested.strip():
        return client.scopes
    wanted = frozenset(requested.split())
    beyond = sorted(wanted - client.scopes)
    if beyond:
        raise _oauth_error(400, "invalid_scope", f"not a scope of this client: {' '.join(beyond)}")
    return wanted


@router.get(
    "/jwks.json",
    summary="The public keys that verify access tokens (JWKS)",
    include_in_schema=False,
)
async def token_keys(request: Request) -> JSONResponse:
    return JSONResponse(authenticator_of(request.app).tokens.jwks(), headers={"Cache-Control": "max-age=300"})
