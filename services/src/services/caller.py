"""The FastAPI dependency telling a service's route who calls: from the gateway's internal token only."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.http import Problem
from services.internal_token import Caller, InvalidInternalToken, TokenVerifier
from services.runtime import Resources


def _resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


def _verifier(request: Request) -> TokenVerifier:
    """The app's verifier, made for its running resources (remade when the service restarts)."""
    resources = _resources(request)
    made: tuple[Resources, TokenVerifier] | None = getattr(request.app.state, "token_verifier", None)
    if made is None or made[0] is not resources:
        secret = resources.settings.internal_token_secret.get_secret_value()
        made = (resources, TokenVerifier(secret, audience=resources.settings.service_name))
        request.app.state.token_verifier = made
    return made[1]


async def current_caller(request: Request) -> Caller:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(401, "internal_token_missing", detail="services answer only the gateway's signed calls")
    try:
        return _verifier(request).caller_of(token)
    except InvalidInternalToken as error:
        raise Problem(401, "internal_token_invalid", detail=str(error)) from error


CurrentCaller = Annotated[Caller, Depends(current_caller)]


async def _resources_of_request(request: Request) -> Resources:
    # async: FastAPI runs a plain `def` dependency in a worker thread, a hop that costs more than the work.
    return _resources(request)


ServiceResources = Annotated[Resources, Depends(_resources_of_request)]


def require_scope(caller: Caller, scope: str) -> None:
    if not caller.may(scope):
        raise Problem(403, "insufficient_scope", detail=f"this call needs the {scope!r} scope", param=None)
