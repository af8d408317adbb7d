"""Standard Webhooks signatures: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body` with a `whsec_` secret.

Written here rather than taken from the `standardwebhooks` package (the reference the tests sign with)
because the gateway needs what the package does not give: the raw body as bytes (the package decodes it as
text), several valid secrets at once (rotation), an injected clock, and a distinct error for each refusal.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

SECRET_PREFIX = "whsec_"
TOLERANCE = timedelta(minutes=5)
_MAX_ID_LENGTH = 200


class SignatureRefused(Exception):
    """Why a message is not accepted as signed: `code` is the problem's code."""

    def __init__(self, code: str, detail: str) -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}")


@dataclass(frozen=True)
class SignedHeaders:
    webhook_id: str
    timestamp: int  # seconds since the epoch, as the sender signed it
    signatures: str  # the raw `webhook-signature` value: space-separated `v1,<base64>`


def new_secret() -> str:
    """A fresh secret: `whsec_` + base64 of 32 random bytes (the spec asks for 24 to 64)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,` signature of a message (what a sender puts in `webhook-signature`)."""
    mac = hmac.new(_key(secret), f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def read_headers(headers: Mapping[str, str]) -> SignedHeaders:
    """The three headers, or a refusal (missing, or a timestamp or id that cannot be what was signed)."""
    webhook_id = headers.get("webhook-id", "").strip()
    timestamp = headers.get("webhook-timestamp", "").strip()
    signatures = headers.get("webhook-signature", "").strip()
    missing = [
        name
        for name, value in (
            ("webhook-id", webhook_id),
            ("webhook-timestamp", timestamp),
            ("webhook-signature", signatures),
        )
        if not value
    ]
    if missing:
        raise SignatureRefused("webhook_headers_missing", f"missing header(s): {', '.join(missing)}")
    if len(webhook_id) > _MAX_ID_LENGTH or not webhook_id.isascii() or not webhook_id.isprintable():
        raise SignatureRefused(
            "webhook_headers_invalid", f"webhook-id must be 1 to {_MAX_ID_LENGTH} printable ASCII characters"
        )
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureRefused(
            "webhook_headers_invalid", "webhook-timestamp must be whole seconds (Unix time)"
        )
    return SignedHeaders(webhook_id, int(timestamp), signatures)


def verify(headers: SignedHeaders, body: bytes, valid_secrets: Sequence[str], *, now: datetime) -> None:
    """Accept the message if it is recent and one of its signatures matches one of the secrets.

    The timestamp is checked first (either way, `TOLERANCE`), so a replay of an old signed message is
    refused whatever its signature. Comparisons are constant-time (`hmac.compare_digest`).
    """
    skew = now.timestamp() - headers.timestamp
    if abs(skew) > TOLERANCE.total_seconds():
        where = "old" if skew > 0 else "in the future"
        raise SignatureRefused(
            "webhook_timestamp_out_of_tolerance",
            f"webhook-timestamp is {abs(int(skew))} s {where}; at most {int(TOLERANCE.total_seconds())} s",
        )
    offered = _offered_signatures(headers.signatures)
    expected = [_digest(secret, headers, body) for secret in valid_secrets]
    matched = False
    for candidate in offered:
        for digest in expected:
            # No early exit: the time taken does not depend on which pair matched.
            matched |= hmac.compare_digest(candidate, digest)
    if not matched:
        raise SignatureRefused("webhook_signature_invalid", "no signature matches this message")


def _digest(secret: str, headers: SignedHeaders, body: bytes) -> bytes:
    signed = f"{headers.webhook_id}.{headers.timestamp}.".encode() + body
    return hmac.new(_key(secret), signed, hashlib.sha256).digest()


def _offered_signatures(value: str) -> list[bytes]:
    """The header's `v1` signatures; other versions and malformed entries are ignored, as the spec says."""
    offered = []
    for entry in value.split():
        version, _, encoded = entry.partition(",")
        if version != "v1" or not encoded:
            continue
        try:
            offered.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            continue
    return offered
