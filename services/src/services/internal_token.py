"""The short-lived signed token the gateway sends with every call to a service.

Services trust no tenant or scope from a request but the ones in this token: the gateway took them from the
caller's credential. HS256 with a secret shared by the gateway and the services; a minute of validity.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

ISSUER = "gateway"
ALGORITHM = "HS256"
HEADER = "Authorization"


@dataclass(frozen=True)
class Caller:
    """Who is calling, as the gateway vouches: the tenant, the API client and what it may do."""

    tenant: str
    client_id: str
    scopes: frozenset[str]

    def may(self, scope: str) -> bool:
        return scope in self.scopes


class InvalidInternalToken(Exception):
    pass


def issue(
    secret: str, caller: Caller, *, audience: str, ttl_seconds: int = 60, now: float | None = None
) -> str:
    issued = int(now if now is not None else time.time())
    claims = {
        "iss": ISSUER,
        "aud": audience,
        "sub": caller.client_id,
        "tenant": caller.tenant,
        "scope": " ".join(sorted(caller.scopes)),
        "iat": issued,
        "exp": issued + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(secret: str, token: str, *, audience: str) -> Caller:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "aud", "iss", "sub"]},
        )
    except jwt.PyJWTError as error:
        raise InvalidInternalToken(str(error)) from error
    tenant = claims.get("tenant")
    if not isinstance(tenant, str) or not tenant:
        raise InvalidInternalToken("the token names no tenant")
    return Caller(
        tenant=tenant, client_id=str(claims["sub"]), scopes=frozenset(str(claims.get("scope", "")).split())
    )
