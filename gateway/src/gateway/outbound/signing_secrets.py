"""Endpoint signing secrets: `whsec_` + base64 of 32 random bytes, shown once, stored encrypted.

The gateway must read a secret back to sign, so it is encrypted (Fernet: AES-128-CBC + HMAC-SHA256), not
hashed. The Fernet key is derived from the `secrets_encryption_key` setting with HKDF and a purpose label, so
the one setting can serve other purposes without their keys being the same.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "whsec_"
_PURPOSE = b"smartfr gateway: outbound webhook signing secrets"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


class SecretBox:
    """Encrypts and decrypts signing secrets with a key derived from the gateway's setting."""

    def __init__(self, key_material: str) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(
            key_material.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode())

    def open(self, sealed: bytes) -> str:
        return self._fernet.decrypt(sealed).decode()
