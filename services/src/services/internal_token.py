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
    return _verified(secret, token, audience=audience)[0]


def _verified(secret: str, token: str, *, audience: str) -> tuple[Caller, float]:
    """The caller the token vouches for, and when the token expires."""
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
    caller = Caller(
        tenant=tenant, client_id=str(claims["sub"]), scopes=frozenset(str(claims.get("scope", "")).split())
    )
    return caller, float(claims["exp"])


_CACHE_LIMIT = 10_000  # distinct callers remembered; past it the cache starts afresh (a bound, not an LRU)


class TokenIssuer:
    """Issues a caller's token once and hands it out again while it has more than half its life left.

    Signing on every call was a tenth of the gateway's time under load; the token says the same thing.
    """

    def __init__(self, secret: str, *, audience: str, ttl_seconds: int = 60) -> None:
        self._secret = secret
        self._audience = audience
        self._ttl = ttl_seconds
        self._issued: dict[Caller, tuple[str, float]] = {}

    def token_for(self, caller: Caller, *, now: float | None = None) -> str:
        at = now if now is not None else time.time()
        known = self._issued.get(caller)
        if known is not None and known[1] > at:
            return known[0]
        if len(self._issued) >= _CACHE_LIMIT:
            self._issued.clear()
        token = issue(self._secret, caller, audience=self._audience, ttl_seconds=self._ttl, now=at)
        self._issued[caller] = (token, at + self._ttl / 2)
        return token


class TokenVerifier:
    """Verifies a token once and remembers what it said until it expires."""

    def __init__(self, secret: str, *, audience: str) -> None:
        self._secret = secret
        self._audience = audience
        self._verified: dict[str, tuple[Caller, float]] = {}

    def caller_of(self, token: str, *, now: float | None = None) -> Caller:
        at = now if now is not None else time.time()
        known = self._verified.get(token)
        if known is not None:
            if known[1] > at:
                return known[0]
            del self._verified[token]
            raise InvalidInternalToken("Signature has expired")
        caller, expires = _verified(self._secret, token, audience=self._audience)
        if len(self._verified) >= _CACHE_LIMIT:
            self._verified.clear()
        self._verified[token] = (caller, expires)
        return caller
