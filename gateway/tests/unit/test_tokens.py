"""Access tokens: what the gateway signs it verifies, and every forgery or misuse it refuses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gateway.auth.dev_keys import DEV_TOKEN_SIGNING_KEY
from gateway.auth.tokens import AccessTokens, InvalidToken, key_id

ISSUER = "https://api.smartfr.coop"
AUDIENCE = "https://api.smartfr.coop/v1"
SCOPES = frozenset({"members:read", "members:write"})


def new_key_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(private_pem: str) -> str:
    private = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def tokens(key: str = DEV_TOKEN_SIGNING_KEY, **overrides: object) -> AccessTokens:
    options: dict[str, object] = {"issuer": ISSUER, "audience": AUDIENCE, "ttl_seconds": 900}
    options.update(overrides)
    return AccessTokens(signing_key_pem=key, **options)  # type: ignore[arg-type]


def issue(signer: AccessTokens, now: float | None = None) -> str:
    return signer.issue(client_id="cli_a", tenant="smartfr", scopes=SCOPES, now=now).access_token


def refusal(verifier: AccessTokens, token: str) -> str:
    with pytest.raises(InvalidToken) as refused:
        verifier.verify(token)
    return refused.value.code


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_an_issued_token_verifies_to_its_client_tenant_and_scopes() -> None:
    signer = tokens()
    before = int(time.time())
    claims = signer.verify(issue(signer))
    assert (claims.client_id, claims.tenant, claims.scopes) == ("cli_a", "smartfr", SCOPES)
    assert claims.expires_at - claims.issued_at == 900
    assert claims.issued_at >= before


def test_the_token_carries_the_rfc_9068_claims_and_header() -> None:
    token = issue(tokens())
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "ES256"
    assert header["typ"] == "at+jwt"
    assert header["kid"]
    assert claims["iss"] == ISSUER
    assert claims["aud"] == AUDIENCE
    assert claims["sub"] == claims["client_id"] == "cli_a"
    assert claims["scope"] == "members:read members:write"
    assert claims["jti"]


def test_every_token_has_its_own_id() -> None:
    signer = tokens()
    ids = {jwt.decode(issue(signer), options={"verify_signature": False})["jti"] for _ in range(5)}
    assert len(ids) == 5


def test_an_expired_token_is_refused_as_expired() -> None:
    signer = tokens()
    assert refusal(signer, issue(signer, now=time.time() - 901)) == "token_expired"


def test_a_token_for_another_audience_is_refused() -> None:
    other = tokens(audience="https://elsewhere.example/api")
    assert refusal(tokens(), issue(other)) == "invalid_token"


def test_a_token_from_another_issuer_is_refused() -> None:
    other = tokens(issuer="https://elsewhere.example")
    assert refusal(tokens(), issue(other)) == "invalid_token"


def test_an_unsigned_token_alg_none_is_refused() -> None:
    genuine = issue(tokens())
    header = {**jwt.get_unverified_header(genuine), "alg": "none"}
    claims = jwt.decode(genuine, options={"verify_signature": False})
    assert refusal(tokens(), f"{b64(header)}.{b64(claims)}.") == "invalid_token"


def test_a_token_signed_with_hs256_and_the_public_key_as_secret_is_refused() -> None:
    genuine = issue(tokens())
    header = {**jwt.get_unverified_header(genuine), "alg": "HS256"}
    claims = jwt.decode(genuine, options={"verify_signature": False})
    signing_input = f"{b64(header)}.{b64(claims)}"
    # pyjwt will not make this forgery, so it is made by hand: HMAC keyed with the public PEM.
    mac = hmac.new(public_pem(DEV_TOKEN_SIGNING_KEY).encode(), signing_input.encode(), hashlib.sha256)
    signature = base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")
    assert refusal(tokens(), f"{signing_input}.{signature}") == "invalid_token"


def test_a_token_signed_by_another_key_under_our_key_id_is_refused() -> None:
    genuine = issue(tokens())
    claims = jwt.decode(genuine, options={"verify_signature": False})
    forged = jwt.encode(claims, new_key_pem(), "ES256", headers=jwt.get_unverified_header(genuine))
    assert refusal(tokens(), forged) == "invalid_token"


def test_a_token_whose_claims_were_changed_is_refused() -> None:
    header, _, signature = issue(tokens()).split(".")
    genuine_claims = jwt.decode(issue(tokens()), options={"verify_signature": False})
    tampered = b64({**genuine_claims, "tenant": "alterna"})
    assert refusal(tokens(), f"{header}.{tampered}.{signature}") == "invalid_token"


def test_a_token_of_an_unknown_key_is_refused() -> None:
    assert refusal(tokens(), issue(tokens(new_key_pem()))) == "invalid_token"


def test_a_token_without_the_access_token_type_is_refused() -> None:
    genuine = issue(tokens())
    claims = jwt.decode(genuine, options={"verify_signature": False})
    header = {"kid": jwt.get_unverified_header(genuine)["kid"]}
    untyped = jwt.encode(claims, DEV_TOKEN_SIGNING_KEY, "ES256", headers=header)
    assert refusal(tokens(), untyped) == "invalid_token"


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "eyJhbGciOiJFUzI1NiJ9..", "x" * 100])
def test_garbage_is_refused(garbage: str) -> None:
    assert refusal(tokens(), garbage) == "invalid_token"


def test_after_a_key_rotation_tokens_of_the_previous_key_still_verify_while_it_is_listed() -> None:
    old_key, new_key = DEV_TOKEN_SIGNING_KEY, new_key_pem()
    old_token = issue(tokens(old_key))
    rotated = tokens(new_key, previous_public_keys=(public_pem(old_key),))
    assert rotated.verify(old_token).client_id == "cli_a"
    assert rotated.verify(issue(rotated)).client_id == "cli_a"
    assert refusal(tokens(new_key), old_token) == "invalid_token"


def test_the_jwks_lets_a_third_party_verify_a_token() -> None:
    signer = tokens(new_key_pem(), previous_public_keys=(public_pem(DEV_TOKEN_SIGNING_KEY),))
    token = issue(signer)
    jwks = jwt.PyJWKSet.from_dict(signer.jwks())
    kid = jwt.get_unverified_header(token)["kid"]
    assert len(jwks.keys) == 2
    claims = jwt.decode(token, jwks[kid].key, algorithms=["ES256"], audience=AUDIENCE, issuer=ISSUER)
    assert claims["tenant"] == "smartfr"


def test_a_key_id_names_the_public_key() -> None:
    private = serialization.load_pem_private_key(DEV_TOKEN_SIGNING_KEY.encode(), password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    assert key_id(private.public_key()) == jwt.get_unverified_header(issue(tokens()))["kid"]


def test_a_signing_key_that_is_not_p256_is_refused_at_start() -> None:
    rsa_like = (
        ec.generate_private_key(ec.SECP384R1())
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    with pytest.raises(ValueError, match="P-256"):
        tokens(rsa_like)
