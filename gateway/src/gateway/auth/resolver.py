"""From the Bearer credential to the `ApiClient`, cheaply: the hot path of every request.

An access token is verified with the public key (no database), and the verified token is remembered until
it expires; its client is looked up to see it is not revoked, remembered for `cache_seconds`. An API key is
looked up by its digest and remembered for `cache_seconds` too. So a revocation made anywhere (the admin
command, another process) reaches every gateway process within `cache_seconds`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.auth.cache import Missing, TtlCache
from gateway.auth.client import ApiClient
from gateway.auth.lookup import ClientRecord, Db, KeyRecord, find_client, find_key
from gateway.auth.secrets import digest, looks_like_api_key
from gateway.auth.tokens import AccessClaims, AccessTokens, InvalidToken

# A JWT is three base64url parts; anything much longer than ours is refused before any parsing.
_MAX_CREDENTIAL_CHARS = 4096


@dataclass(frozen=True)
class AuthFailure:
    """Why a request carries no usable credential; `code` is the problem's code (401)."""

    code: str  # unauthenticated | invalid_token | token_expired | invalid_credential
    detail: str


NO_CREDENTIAL = AuthFailure(
    "unauthenticated", "send 'Authorization: Bearer <access token or API key>' (see POST /v1/oauth/token)"
)
_UNKNOWN_KEY = AuthFailure("invalid_credential", "unknown, expired or revoked API key")
_UNKNOWN_CLIENT = AuthFailure("invalid_credential", "the token's client is unknown or revoked")


class Authenticator:
    def __init__(self, pool: Db, tokens: AccessTokens, *, cache_seconds: float) -> None:
        self._pool = pool
        self.tokens = tokens
        self._keys: TtlCache[bytes, KeyRecord | None] = TtlCache(cache_seconds)
        self._clients: TtlCache[str, ClientRecord | None] = TtlCache(cache_seconds)
        # Verified tokens, by their exact text, until they expire: the signature is checked once per token.
        self._verified: TtlCache[str, AccessClaims] = TtlCache(float(tokens.ttl_seconds))

    async def resolve(self, authorization: str | None) -> ApiClient | AuthFailure:
        if not authorization:
            return NO_CREDENTIAL
        scheme, _, credential = authorization.partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            return NO_CREDENTIAL
        if len(credential) > _MAX_CREDENTIAL_CHARS:
            return AuthFailure("invalid_token", "the credential is too long")
        if looks_like_api_key(credential):
            return await self._by_api_key(credential)
        return await self._by_access_token(credential)

    async def _by_api_key(self, api_key: str) -> ApiClient | AuthFailure:
        key_hash = digest(api_key)
        found = self._keys.get(key_hash)
        if isinstance(found, Missing):
            found = await find_key(self._pool, api_key)
            self._keys.put(key_hash, found)
        if found is None or not found.usable_at(datetime.now(UTC)):
            return _UNKNOWN_KEY
        client = found.client
        return ApiClient(client.client_id, client.tenant, client.scopes, client.api_version)

    async def _by_access_token(self, token: str) -> ApiClient | AuthFailure:
        claims = self._verified.get(token)
        if isinstance(claims, Missing):
            try:
                claims = self.tokens.verify(token)
            except InvalidToken as error:
                return AuthFailure(error.code, error.detail)
            self._verified.put(token, claims, ttl=max(0.0, claims.expires_at - time.time()))
        elif claims.expires_at <= time.time():
            return AuthFailure("token_expired", "the access token has expired; get a new one")
        client = await self._client(claims.client_id)
        if client is None or client.revoked or client.tenant != claims.tenant:
            return _UNKNOWN_CLIENT
        # A scope taken from the client since the token was issued is gone at once from its tokens too.
        return ApiClient(client.client_id, client.tenant, claims.scopes & client.scopes, client.api_version)

    async def _client(self, client_id: str) -> ClientRecord | None:
        found = self._clients.get(client_id)
        if isinstance(found, Missing):
            found = await find_client(self._pool, client_id)
            self._clients.put(client_id, found)
        return found

    def forget(self) -> None:
        """Drop what is cached (after this process revoked or rotated something)."""
        self._keys.clear()
        self._clients.clear()
