"""Who calls, resolved once per request, before rate limits and idempotency (which key on the client).

The middleware never refuses: it leaves the `ApiClient` (or None, and why in `auth_failure`) in
`scope["state"]`, and the route dependencies (`require(scope)`) answer 401/403. Routes that authenticate
otherwise (the token endpoint, webhook receivers) are thus not in its way.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.auth.resolver import NO_CREDENTIAL, Authenticator, AuthFailure
from gateway.auth.tokens import AccessTokens
from gateway.config import Settings
from services.runtime import Resources

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
