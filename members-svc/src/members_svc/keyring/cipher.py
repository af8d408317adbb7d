"""AES-256-GCM for a person's fields, and for wrapping their data key with the key-encryption key.

Each ciphertext is bound (associated data) to the tenant and member it belongs to, so a sealed value copied
onto another person's stream does not open.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_PREFIX = "v1:"  # the format of a sealed value: v1:<base64url(nonce || ciphertext || tag)>
_NONCE = 12


class Unreadable(Exception):
    """A sealed value that this key cannot open (another person's, or tampered with)."""


def _binding(tenant: str, member_id: UUID, purpose: str) -> bytes:
    return f"{purpose}/{tenant}/{member_id}".encode()


def _encrypt(key: bytes, plain: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(_NONCE)  # random 96-bit nonces: far below the 2^32 messages per key GCM allows
    return nonce + AESGCM(key).encrypt(nonce, plain, aad)


def _decrypt(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(sealed[:_NONCE], sealed[_NONCE:], aad)
    except (InvalidTag, ValueError) as error:
        raise Unreadable("the value does not open with this key") from error


class DataKey:
    """One person's AES-256 key: seals their fields into the text events carry, and opens it again."""

    def __init__(self, key: bytes, tenant: str, member_id: UUID) -> None:
        self._key = key
        self._aad = _binding(tenant, member_id, "personal-data")

    @classmethod
    def new(cls, tenant: str, member_id: UUID) -> DataKey:
        return cls(AESGCM.generate_key(bit_length=256), tenant, member_id)

    def seal(self, fields: Mapping[str, Any]) -> str:
        plain = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
        return _PREFIX + base64.urlsafe_b64encode(_encrypt(self._key, plain, self._aad)).decode()

    def open(self, sealed: str) -> dict[str, Any]:
        if not sealed.startswith(_PREFIX):
            raise Unreadable("not a sealed value of a known format")
        opened: dict[str, Any] = json.loads(
            _decrypt(self._key, base64.urlsafe_b64decode(sealed[len(_PREFIX) :]), self._aad)
        )
        return opened

    def wrapped_by(self, kek: KeyEncryptionKey) -> bytes:
        return kek.wrap(self._key, self._aad)


class KeyEncryptionKey:
    """The settings' secret, stretched to 256 bits with HKDF; `kek_id` tells which one wrapped a key."""

    def __init__(self, secret: str) -> None:
        self._key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"members-svc personal data KEK"
        ).derive(secret.encode())
        self.kek_id = hashlib.sha256(self._key).hexdigest()[:16]

    def wrap(self, data_key: bytes, aad: bytes) -> bytes:
        return _encrypt(self._key, data_key, aad)

    def unwrap(self, wrapped: bytes, tenant: str, member_id: UUID) -> DataKey:
        aad = _binding(tenant, member_id, "personal-data")
        return DataKey(_decrypt(self._key, wrapped, aad), tenant, member_id)
