"""The caller of a public route, from its credential: the tenant always comes from there.

`require(scope)` is what a route declares; it reads what `CallerMiddleware` resolved (or resolves it, if the
middleware is absent), answers 401 without a usable credential and 403 without the scope, and documents both
security schemes and the scope in the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import HTTPBearer, OAuth2, SecurityScopes

from gateway.auth.client import ApiClient
from gateway.auth.middleware import STATE_CLIENT, STATE_FAILURE, authenticator_of
from gateway.auth.problems import REALM, unauthenticated
from gateway.auth.resolver import NO_CREDENTIAL, AuthFailure
from gateway.auth.scopes import SCOPES
from services.http import Problem
from services.internal_token import Caller

TOKEN_URL = "/v1/oauth/token"

_flow = OAuthFlowClientCredentials(tokenUrl=TOKEN_URL, scopes=dict(SCOPES))
# Declared for the OpenAPI document only (auto_error off): the credential is read by the middleware.
_oauth2 = OAuth2(
    flows=OAuthFlows(clientCredentials=_flow),
    scheme_name="OAuth2",
    description="An access token from POST /v1/oauth/token (client credentials), as a Bearer token.",
    auto_error=False,
)
_api_key = HTTPBearer(
    scheme_name="ApiKey",
    bearerFormat="coop_live_... / coop_test_...",
    description="An API key, as a Bearer token: the fallback when OAuth2 is not an option.",
    auto_error=False,
)


async def current_client(request: Request) -> ApiClient:
    """The client the credential stands for; 401 problem if there is none."""
    state: dict[str, Any] = request.scope.setdefault("state", {})
    if STATE_CLIENT not in state:
        found = await authenticator_of(request.app).resolve(request.headers.get("authorization"))
        state[STATE_CLIENT], state[STATE_FAILURE] = (
            (None, found) if isinstance(found, AuthFailure) else (found, None)
        )
    client: ApiClient | None = state[STATE_CLIENT]
    if client is None:
        failure: AuthFailure = state.get(STATE_FAILURE) or NO_CREDENTIAL
        raise unauthenticated(failure)
    return client


async def authenticated_caller(
    request: Request,
    _token: Annotated[object, Depends(_oauth2)],
    _key: Annotated[object, Depends(_api_key)],
) -> Caller:
    """The caller, whatever its scopes (the route checks them); declares both schemes in the document."""
    return (await current_client(request)).as_caller()


async def _with_scopes(
    security_scopes: SecurityScopes,
    client: Annotated[ApiClient, Depends(current_client)],
    _token: Annotated[object, Depends(_oauth2)],
    _key: Annotated[object, Depends(_api_key)],
) -> Caller:
    missing = [scope for scope in security_scopes.scopes if scope not in client.scopes]
    if missing:
        needed = " ".join(security_scopes.scopes)
        raise Problem(
            403,
            "insufficient_scope",
            detail=f"this call needs the {' '.join(missing)!r} scope",
            extensions={"error": "insufficient_scope", "required_scopes": missing},
            headers={
                "WWW-Authenticate": f'Bearer realm="{REALM}", error="insufficient_scope", scope="{needed}"'
            },
        )
    return client.as_caller()


def require(scope: str) -> Any:
    """A dependency that lets the call through only with `scope`; it gives the `Caller`."""
    if scope not in SCOPES:
        SCOPES[scope] = scope
    _flow.scopes.setdefault(scope, SCOPES[scope])
    return Security(_with_scopes, scopes=[scope])


def required_client() -> Any:
    """A dependency that gives the `ApiClient` (any scope), 401 without a usable credential."""
    return Depends(current_client)
