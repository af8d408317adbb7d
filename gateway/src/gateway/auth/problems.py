"""The 401 a request without a usable credential gets, with its `WWW-Authenticate` challenge."""

from __future__ import annotations

from gateway.auth.resolver import NO_CREDENTIAL, AuthFailure
from services.http import Problem

REALM = "smartfr"


def _www_authenticate(failure: AuthFailure) -> dict[str, str]:
    if failure.code == NO_CREDENTIAL.code:
        return {"WWW-Authenticate": f'Bearer realm="{REALM}"'}
    description = failure.detail.replace('"', "'")
    challenge = f'Bearer realm="{REALM}", error="invalid_token", error_description="{description}"'
    return {"WWW-Authenticate": challenge}


def unauthenticated(failure: AuthFailure) -> Problem:
    return Problem(
        401,
        failure.code,
        detail=failure.detail,
        extensions={"error": "invalid_request" if failure is NO_CREDENTIAL else "invalid_token"},
        headers=_www_authenticate(failure),
    )
