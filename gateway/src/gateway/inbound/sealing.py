"""Encryption at rest for what the gateway must read back: signing secrets, received bodies, kept answers.

Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`). Its key is derived from the gateway's
`secrets_encryption_key` setting with HKDF and a label per use, so each use has a key of its own (outbound
webhooks derive theirs, the idempotency store its own).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_LABEL = b"smartfr gateway inbound webhooks v1"


class Sealer:
    def __init__(self, master_key: str, label: bytes = _LABEL) -> None:
        if not master_key:
            raise ValueError("the encryption key must not be empty")
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(
            master_key.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, plain: bytes) -> bytes:
        return self._fernet.encrypt(plain)

    def open(self, sealed: bytes) -> bytes:
        """The plain bytes; raises `cryptography.fernet.InvalidToken` for anything this key did not seal."""
        return self._fernet.decrypt(sealed)

    def __repr__(self) -> str:  # never the key
        return "Sealer(<key>)"
