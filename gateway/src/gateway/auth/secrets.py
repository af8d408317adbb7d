"""The random credentials the gateway hands out, and the one-way digest it keeps of them.

Each is 256 bits from `secrets`: a plain SHA-256 is enough to store them (stretching, as for passwords,
protects guessable inputs; these are not guessable), and it keeps a lookup by digest to one index probe.
"""

from __future__ import annotations

import hashlib
import secrets

LIVE_PREFIX = "coop_live_"
TEST_PREFIX = "coop_test_"
SECRET_PREFIX = "coop_secret_"
# Shown in listings beside the key id: enough to recognise a key, far too little to guess it.
SHOWN_KEY_CHARS = len(TEST_PREFIX) + 4


def digest(credential: str) -> bytes:
    return hashlib.sha256(credential.encode()).digest()


def new_api_key(*, live: bool) -> str:
    return (LIVE_PREFIX if live else TEST_PREFIX) + secrets.token_urlsafe(32)


def new_client_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def new_client_id() -> str:
    return "cli_" + secrets.token_hex(8)


def new_key_id() -> str:
    return "key_" + secrets.token_hex(8)


def looks_like_api_key(credential: str) -> bool:
    return credential.startswith((LIVE_PREFIX, TEST_PREFIX))
