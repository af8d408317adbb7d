"""The person's key: AES-256-GCM sealing bound to the person, wrapped by the settings' key-encryption key."""

from __future__ import annotations

from uuid import UUID

import pytest
from pydantic import ValidationError

from members_svc.config import Settings
from members_svc.keyring import DataKey, KeyEncryptionKey, Unreadable

CAMILLE = UUID("0192f0a0-0000-7000-8000-000000000003")
DOMINIQUE = UUID("0192f0a0-0000-7000-8000-000000000004")
FIELDS = {"nir": "269052A00417163", "iban": "FR7630006000000001123456786"}


def test_sealed_fields_open_with_the_persons_key_and_show_nothing_in_clear() -> None:
    key = DataKey.new("smartfr", CAMILLE)
    sealed = key.seal(FIELDS)
    assert sealed.startswith("v1:")
    assert "269052A" not in sealed
    assert "FR76" not in sealed
    assert key.seal(FIELDS) != sealed  # a fresh nonce each time
    assert key.open(sealed) == FIELDS


def test_another_persons_key_does_not_open_them() -> None:
    sealed = DataKey.new("smartfr", CAMILLE).seal(FIELDS)
    with pytest.raises(Unreadable):
        DataKey.new("smartfr", DOMINIQUE).open(sealed)


def test_a_key_wrapped_for_one_person_does_not_unwrap_as_anothers() -> None:
    kek = KeyEncryptionKey("a long random secret")
    key = DataKey.new("smartfr", CAMILLE)
    wrapped = key.wrapped_by(kek)
    assert kek.unwrap(wrapped, "smartfr", CAMILLE).open(key.seal(FIELDS)) == FIELDS
    with pytest.raises(Unreadable):
        kek.unwrap(wrapped, "smartfr", DOMINIQUE)
    with pytest.raises(Unreadable):
        kek.unwrap(wrapped, "alterna", CAMILLE)


def test_another_key_encryption_key_does_not_unwrap() -> None:
    wrapped = DataKey.new("smartfr", CAMILLE).wrapped_by(KeyEncryptionKey("one secret"))
    with pytest.raises(Unreadable):
        KeyEncryptionKey("another secret").unwrap(wrapped, "smartfr", CAMILLE)
    assert KeyEncryptionKey("one secret").kek_id != KeyEncryptionKey("another secret").kek_id


def test_the_development_key_encryption_key_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="PERSONAL_DATA_KEK"):
        Settings(environment="production")
    assert (
        Settings(environment="production", personal_data_kek="a production secret").environment
        == "production"
    )
    assert Settings().environment == "development"
