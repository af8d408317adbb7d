"""The caller of a public route, from its credential: the tenant always comes from there."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.auth.api_keys import caller_for_key
from services.http import Problem
from services.internal_token import Caller
from services.runtime import Resources

_UNAUTHENTICATED = {"WWW-Authenticate": 'Bearer realm="smartfr"'}


async def authenticated_caller(request: Request) -> Caller:
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credential:
        raise Problem(
            401, "unauthenticated", detail="send 'Authorization: Bearer <API key>'", headers=_UNAUTHENTICATED
        )
    resources: Resources = request.app.state.resources
    caller = await caller_for_key(resources.pool, credential.strip())
    if caller is None:
        raise Problem(
            401, "invalid_credential", detail="unknown or revoked credential", headers=_UNAUTHENTICATED
        )
    return caller


def require(scope: str) -> object:
    """A dependency that lets the call through only with `scope`."""

    async def check(caller: Annotated[Caller, Depends(authenticated_caller)]) -> Caller:
        if not caller.may(scope):
            raise Problem(403, "insufficient_scope", detail=f"this call needs the {scope!r} scope")
        return caller

    return Depends(check)
