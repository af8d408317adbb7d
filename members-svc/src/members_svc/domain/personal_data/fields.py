"""A natural person's data, checked field by field with the libraries that know each format."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from members_svc.domain.personal_data.errors import InvalidPersonalData
from members_svc.domain.personal_data.nir import checked_nir

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FR_POSTAL_CODE = re.compile(r"^\d{5}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
EARLIEST_BIRTH = date(1900, 1, 1)


@dataclass(frozen=True)
class PostalAddress:
    lines: tuple[str, ...]
    postal_code: str
    city: str
    country: str = "FR"


@dataclass(frozen=True)
class PersonalData:
    """What the back-office keeps about a natural person; every field is optional, None when unknown."""

    family_name: str | None = None
    given_names: str | None = None
    birth_date: date | None = None
    birth_place: str | None = None
    nir: str | None = None
    address: PostalAddress | None = None
    email: str | None = None
    phone: str | None = None
    iban: str | None = None

    def as_json(self) -> dict[str, Any]:
        """Every field (None included: a record replaces the previous one), in JSON types."""
        data = asdict(self)
        data["birth_date"] = self.birth_date.isoformat() if self.birth_date else None
        if self.address is not None:
            data["address"]["lines"] = list(self.address.lines)
        return data

    def fields_set(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self) if getattr(self, f.name) is not None)


def _text(field: str, value: str, *, longest: int = 100) -> str:
    stripped = " ".join(value.split())
    if not stripped or len(stripped) > longest or _CONTROL.search(value):
        raise InvalidPersonalData(field, f"1 to {longest} printable characters")
    return stripped


def checked_email(value: str) -> str:
    try:
        # No DNS look-up: the domain decides on the text alone.
        normalized: str = validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise InvalidPersonalData("email", "not a valid e-mail address") from error
    return normalized


def checked_phone(value: str) -> str:
    """E.164 (+33612345678); a number without a country code is read as French."""
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException as error:
        raise InvalidPersonalData("phone", "not a phone number") from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidPersonalData("phone", "not a valid phone number")
    formatted: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return formatted


def checked_iban(value: str) -> str:
    try:
        return str(IBAN(value).compact)
    except SchwiftyException as error:
        raise InvalidPersonalData("iban", "not a valid IBAN") from error


def checked_birth_date(value: date, today: date) -> date:
    if value > today:
        raise InvalidPersonalData("birth_date", "a birth date cannot be in the future")
    if value < EARLIEST_BIRTH:
        raise InvalidPersonalData("birth_date", f"a birth date is after {EARLIEST_BIRTH}")
    return value


def checked_address(address: PostalAddress) -> PostalAddress:
    if not 1 <= len(address.lines) <= 3:
        raise InvalidPersonalData("address.lines", "1 to 3 lines")
    lines = tuple(_text("address.lines", line) for line in address.lines)
    country = address.country.upper()
    if not _COUNTRY.match(country):
        raise InvalidPersonalData("address.country", "an ISO 3166 country code of two letters")
    postal_code = _text("address.postal_code", address.postal_code, longest=10)
    if country == "FR" and not _FR_POSTAL_CODE.match(postal_code):
        raise InvalidPersonalData("address.postal_code", "a French postal code is 5 digits")
    return PostalAddress(lines, postal_code, _text("address.city", address.city), country)


def checked(data: PersonalData, today: date) -> PersonalData:
    """The data with each field checked and put in its canonical form, or InvalidPersonalData on the first."""
    birth_date = checked_birth_date(data.birth_date, today) if data.birth_date else None
    return replace(
        data,
        family_name=_text("family_name", data.family_name) if data.family_name is not None else None,
        given_names=_text("given_names", data.given_names) if data.given_names is not None else None,
        birth_date=birth_date,
        birth_place=_text("birth_place", data.birth_place) if data.birth_place is not None else None,
        nir=checked_nir(data.nir, birth_date) if data.nir is not None else None,
        address=checked_address(data.address) if data.address is not None else None,
        email=checked_email(data.email) if data.email is not None else None,
        phone=checked_phone(data.phone) if data.phone is not None else None,
        iban=checked_iban(data.iban) if data.iban is not None else None,
    )
