"""Standard Webhooks verification, checked against the `standardwebhooks` package as the reference signer."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from gateway.inbound.signatures import (
    SignatureRefused,
    SignedHeaders,
    new_secret,
    read_headers,
    sign,
    verify,
)

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
BODY = b'{"hello": "w\xc3\xb6rld",  "n": 1.50}'  # spacing and a float a re-serialisation would change


def signed_by_package(
    secret: str, body: bytes = BODY, at: datetime = NOW, msg_id: str = "msg_1"
) -> SignedHeaders:
    signature = Webhook(secret).sign(msg_id, at, body.decode())
    return SignedHeaders(msg_id, int(at.timestamp()), signature)


def refusal(headers: SignedHeaders, body: bytes, secrets: list[str], now: datetime = NOW) -> str:
    with pytest.raises(SignatureRefused) as refused:
        verify(headers, body, secrets, now=now)
    return refused.value.code


def test_a_new_secret_is_whsec_and_32_random_bytes_the_package_accepts() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert new_secret() != secret
    Webhook(secret)  # the reference parses it


def test_our_signature_is_the_packages_signature() -> None:
    secret = new_secret()
    assert sign(secret, "msg_1", int(NOW.timestamp()), BODY) == signed_by_package(secret).signatures


def test_a_message_signed_by_the_package_is_verified() -> None:
    secret = new_secret()
    verify(signed_by_package(secret), BODY, [secret], now=NOW)


def test_a_message_signed_by_us_is_verified_by_the_package() -> None:
    secret = new_secret()
    timestamp = int(datetime.now(UTC).timestamp())  # the package reads the wall clock
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, "msg_1", timestamp, BODY),
    }
    assert Webhook(secret).verify(BODY, headers) == {"hello": "wörld", "n": 1.5}


def test_a_signature_with_another_secret_is_refused() -> None:
    assert refusal(signed_by_package(new_secret()), BODY, [new_secret()]) == "webhook_signature_invalid"


def test_a_modified_body_is_refused() -> None:
    secret = new_secret()
    assert (
        refusal(signed_by_package(secret), BODY.replace(b"1.50", b"1.5"), [secret])
        == "webhook_signature_invalid"
    )


def test_a_changed_webhook_id_is_refused() -> None:
    secret = new_secret()
    headers = signed_by_package(secret)
    forged = SignedHeaders("msg_2", headers.timestamp, headers.signatures)
    assert refusal(forged, BODY, [secret]) == "webhook_signature_invalid"


@pytest.mark.parametrize("offset", [timedelta(minutes=-6), timedelta(minutes=6), timedelta(seconds=301)])
def test_a_timestamp_more_than_five_minutes_off_either_way_is_refused(offset: timedelta) -> None:
    secret = new_secret()
    headers = signed_by_package(secret, at=NOW + offset)
    assert refusal(headers, BODY, [secret]) == "webhook_timestamp_out_of_tolerance"


@pytest.mark.parametrize("offset", [timedelta(minutes=-5), timedelta(minutes=5), timedelta(0)])
def test_a_timestamp_within_five_minutes_is_accepted(offset: timedelta) -> None:
    secret = new_secret()
    verify(signed_by_package(secret, at=NOW + offset), BODY, [secret], now=NOW)


def test_any_of_several_signatures_may_match_any_valid_secret() -> None:
    old, new = new_secret(), new_secret()
    signatures = (
        f"v1,{base64.b64encode(b'x' * 32).decode()} v2,abc garbage {signed_by_package(old).signatures}"
    )
    verify(SignedHeaders("msg_1", int(NOW.timestamp()), signatures), BODY, [new, old], now=NOW)


def test_malformed_signatures_are_refused_not_crashed() -> None:
    for signatures in ("v1,", "v1,!!!notbase64", "nocomma", "v1"):
        headers = SignedHeaders("msg_1", int(NOW.timestamp()), signatures)
        assert refusal(headers, BODY, [new_secret()]) == "webhook_signature_invalid"


def test_no_valid_secret_refuses_every_signature() -> None:
    assert refusal(signed_by_package(new_secret()), BODY, []) == "webhook_signature_invalid"


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_named(missing: str) -> None:
    headers = {"webhook-id": "msg_1", "webhook-timestamp": "1764149400", "webhook-signature": "v1,x"}
    del headers[missing]
    with pytest.raises(SignatureRefused) as refused:
        read_headers(headers)
    assert refused.value.code == "webhook_headers_missing"
    assert missing in refused.value.detail


@pytest.mark.parametrize(
    ("name", "value"),
    [("webhook-timestamp", "1764149400.5"), ("webhook-timestamp", "-1"), ("webhook-id", "a" * 201)],
)
def test_a_header_that_cannot_have_been_signed_is_invalid(name: str, value: str) -> None:
    headers = {"webhook-id": "msg_1", "webhook-timestamp": "1764149400", "webhook-signature": "v1,x"}
    headers[name] = value
    with pytest.raises(SignatureRefused) as refused:
        read_headers(headers)
    assert refused.value.code == "webhook_headers_invalid"
