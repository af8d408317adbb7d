"""Who calls, resolved once per request, before rate limits and idempotency (which key on the client).

`CallerMiddleware` leaves the `ApiClient` (or None, and why in `auth_failure`) in `scope["state"]`; the route
dependencies (`require(scope)`) answer 403 for a missing scope. `RefuseAnonymousMiddleware`, after the rate
limiter and the version labelling, answers 401 to a `/v1` request without a usable credential before anything
reads its body: an anonymous caller learns nothing else (not even that its JSON is malformed). The token
endpoint and its key set are the only public `/v1` paths.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.auth.problems import unauthenticated
from gateway.auth.resolver import NO_CREDENTIAL, Authenticator, AuthFailure
from gateway.auth.tokens import AccessTokens
from gateway.config import Settings
from services.runtime import Resources

PUBLIC_PATHS = frozenset({"/v1/oauth/token", "/v1/oauth/jwks.json"})
STATE_CLIENT = "api_client"
STATE_FAILURE = "auth_failure"


def authenticator_of(app: FastAPI) -> Authenticator:
    """The app's authenticator, made on first use from its running resources (remade after a restart)."""
    resources: Resources = app.state.resources
    made = getattr(app.state, "authenticator", None)
    if made is not None and made[0] is resources:
        authenticator: Authenticator = made[1]
        return authenticator
    settings = resources.settings
    if not isinstance(settings, Settings):
        raise TypeError("the gateway runs with gateway.config.Settings")
    tokens = AccessTokens(
        signing_key_pem=settings.token_signing_key.get_secret_value(),
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        ttl_seconds=settings.access_token_ttl_seconds,
        previous_public_keys=settings.token_previous_public_keys,
    )
    authenticator = Authenticator(resources.pool, tokens, cache_seconds=settings.credential_cache_seconds)
    app.state.authenticator = (resources, authenticator)
    return authenticator


class CallerMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            authorization: bytes | None = None
            for name, value in scope["headers"]:
                if name == b"authorization":
                    authorization = value
                    break
            state = scope.setdefault("state", {})
            if authorization is None:
                state[STATE_CLIENT], state[STATE_FAILURE] = None, NO_CREDENTIAL
            else:
                found = await authenticator_of(scope["app"]).resolve(authorization.decode("latin-1"))
                if isinstance(found, AuthFailure):
                    state[STATE_CLIENT], state[STATE_FAILURE] = None, found
                else:
                    state[STATE_CLIENT] = found
        await self.app(scope, receive, send)


class RefuseAnonymousMiddleware:
    """401 for a `/v1` request without a usable credential, once the rate limiter has counted it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            state = scope.get("state", {})
            if state.get(STATE_CLIENT) is None and path.startswith("/v1/") and path not in PUBLIC_PATHS:
                failure = state.get(STATE_FAILURE) or NO_CREDENTIAL
                await unauthenticated(failure).response()(scope, receive, send)
                return
        await self.app(scope, receive, send)
