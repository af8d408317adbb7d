"""Access tokens of the OAuth2 client-credentials grant: short-lived ES256 JWTs (RFC 9068 profile).

ES256 rather than HS256: only the gateway holds the private key, anyone may verify with the public one (the
JWKS), and a token can never be confused with the services' internal HS256 tokens (other algorithm, other
key). Each key is named by a `kid` (a digest of its public key) so the signing key can rotate: the previous
public keys stay in `previous_public_keys` until the last token they signed has expired.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ALGORITHM = "ES256"
TOKEN_TYPE = "at+jwt"
_REQUIRED = ["exp", "iat", "aud", "iss", "sub", "jti"]


class InvalidToken(Exception):
    """`code` is the problem code: `token_expired` or `invalid_token`."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class AccessClaims:
    client_id: str
    tenant: str
    scopes: frozenset[str]
    jti: str
    issued_at: int
    expires_at: int


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scopes: frozenset[str]


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()[:12]).decode().rstrip("=")


def _public_key(pem: str) -> ec.EllipticCurvePublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise ValueError("token verification keys must be EC P-256 public keys (PEM)")
    return key


class AccessTokens:
    def __init__(
        self,
        *,
        signing_key_pem: str,
        issuer: str,
        audience: str,
        ttl_seconds: int,
        previous_public_keys: tuple[str, ...] = (),
    ) -> None:
        private = serialization.load_pem_private_key(signing_key_pem.encode(), password=None)
        if not isinstance(private, ec.EllipticCurvePrivateKey) or private.curve.name != "secp256r1":
            raise ValueError("the token signing key must be an EC P-256 private key (PEM)")
        self._private = private
        self._kid = key_id(private.public_key())
        self._public = {self._kid: private.public_key()}
        for pem in previous_public_keys:
            public = _public_key(pem)
            self._public.setdefault(key_id(public), public)
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds

    def issue(
        self, *, client_id: str, tenant: str, scopes: frozenset[str], now: float | None = None
    ) -> IssuedToken:
        issued = int(now if now is not None else time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": client_id,
            "client_id": client_id,
            "tenant": tenant,
            "scope": " ".join(sorted(scopes)),
            "jti": str(uuid.uuid4()),
            "iat": issued,
            "exp": issued + self.ttl_seconds,
        }
        token = jwt.encode(
            claims, self._private, algorithm=ALGORITHM, headers={"kid": self._kid, "typ": TOKEN_TYPE}
        )
        return IssuedToken(token, self.ttl_seconds, scopes)

    def verify(self, token: str) -> AccessClaims:
        """The claims of a token this gateway signed, for this audience, still valid; else InvalidToken."""
        try:
            header = jwt.get_unverified_header(token)
            # The algorithm is fixed here, never taken from the token: `none` and HS256 fail below.
            key = self._public.get(str(header.get("kid")))
            if key is None:
                raise InvalidToken("invalid_token", "the token was not signed by a key of this gateway")
            if header.get("typ") != TOKEN_TYPE:
                raise InvalidToken("invalid_token", f"the token's type must be {TOKEN_TYPE!r}")
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": _REQUIRED},
            )
        except jwt.ExpiredSignatureError as error:
            raise InvalidToken("token_expired", "the access token has expired; get a new one") from error
        except jwt.PyJWTError as error:
            raise InvalidToken("invalid_token", f"the access token is not valid: {error}") from error
        tenant = claims.get("tenant")
        if not isinstance(tenant, str) or not tenant:
            raise InvalidToken("invalid_token", "the access token names no tenant")
        return AccessClaims(
            client_id=str(claims["sub"]),
            tenant=tenant,
            scopes=frozenset(str(claims.get("scope", "")).split()),
            jti=str(claims["jti"]),
            issued_at=int(claims["iat"]),
            expires_at=int(claims["exp"]),
        )

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public keys as a JSON Web Key Set, for anyone who verifies tokens without calling us."""
        keys = []
        for kid, public in self._public.items():
            numbers = public.public_numbers()
            keys.append(
                {
                    "kty": "EC",
                    "crv": "P-256",
                    "alg": ALGORITHM,
                    "use": "sig",
                    "kid": kid,
                    "x": _b64(numbers.x.to_bytes(32, "big")),
                    "y": _b64(numbers.y.to_bytes(32, "big")),
                }
            )
        return {"keys": keys}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
