"""Crypto-shredding (ADR 008): a data key per person, wrapped by the settings' key-encryption key."""

from members_svc.keyring.cipher import DataKey, KeyEncryptionKey, Unreadable
from members_svc.keyring.store import Keyring

__all__ = ["DataKey", "KeyEncryptionKey", "Keyring", "Unreadable"]
