"""The gateway's internal token: issued for a caller, verified by the service, both remembered while valid."""

from __future__ import annotations

import pytest

from services.internal_token import Caller, InvalidInternalToken, TokenIssuer, TokenVerifier, issue, verify

SECRET = "a-secret-of-at-least-thirty-two-bytes!!"
CALLER = Caller(tenant="alterna", client_id="cli_1", scopes=frozenset({"members:read"}))
NOW = 1_764_149_400.0


def test_a_token_says_who_calls_to_the_service_it_names() -> None:
    token = issue(SECRET, CALLER, audience="members", now=NOW)
    with pytest.raises(InvalidInternalToken):
        verify(SECRET, token, audience="contracts")
    with pytest.raises(InvalidInternalToken):
        verify("another-secret-of-at-least-thirty-two-bytes", token, audience="members")


def test_the_issuer_hands_out_the_same_token_for_half_its_life_then_a_new_one() -> None:
    issuer = TokenIssuer(SECRET, audience="members", ttl_seconds=60)
    first = issuer.token_for(CALLER, now=NOW)
    assert issuer.token_for(CALLER, now=NOW + 29) == first
    assert issuer.token_for(CALLER, now=NOW + 31) != first
    other = Caller(tenant="smartfr", client_id="cli_1", scopes=CALLER.scopes)
    assert issuer.token_for(other, now=NOW) != first


def test_the_verifier_remembers_a_token_only_until_it_expires() -> None:
    verifier = TokenVerifier(SECRET, audience="members")
    token = issue(SECRET, CALLER, audience="members", ttl_seconds=60)
    assert verifier.caller_of(token) == CALLER
    assert verifier.caller_of(token) == CALLER  # from memory
    with pytest.raises(InvalidInternalToken):
        verifier.caller_of(token, now=float("inf"))  # past its expiry the token is checked again, and refused


def test_a_forged_token_is_refused_every_time() -> None:
    verifier = TokenVerifier(SECRET, audience="members")
    forged = issue("another-secret-of-at-least-thirty-two-bytes", CALLER, audience="members")
    for _ in range(2):
        with pytest.raises(InvalidInternalToken):
            verifier.caller_of(forged)
