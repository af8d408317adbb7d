"""What every employer structure command checks, and the errors it refuses with."""

from __future__ import annotations

import re
from datetime import date, datetime

from members_svc.domain.employers.events import Address, Contact

EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
# A French number (0X XX XX XX XX, or +33 X XX XX XX XX) or another country's in international form.
PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
FRENCH_PHONE = re.compile(r"^0[1-9][0-9]{8}$")
INTERNATIONAL_PHONE = re.compile(r"^\+[1-9][0-9]{7,14}$")
FRENCH_POSTAL_CODE = re.compile(r"^[0-9]{5}$")
COUNTRY = re.compile(r"^[A-Z]{2}$")
MAX_CONTACTS = 10


class InvalidEmployerField(ValueError):
    """One input of a command is not valid; `field` names it (`siret`, `contacts.0.email`)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class EmployerStructureAlreadyRegistered(Exception):
    """A structure with this SIRET is already registered in the tenant: a structure is registered once."""


class UnknownEmployerStructure(LookupError):
    """No employer structure under this id (in this tenant)."""


class EmployerStructureNotActive(Exception):
    """Only an active structure gets an inbound webhook secret (a suspended or closed one pushes nothing)."""


class UnknownEmployerContact(LookupError):
    """The structure has no contact under this id."""


class ContactAlreadyErased(Exception):
    """The contact was erased already: there is nothing left of them to erase."""


class StatusChangeRefused(Exception):
    """The status change does not follow from the current status (closed is final)."""


def check_text(field: str, value: str, *, max_length: int = 200) -> str:
    text = value.strip()
    if not text:
        raise InvalidEmployerField(field, "must not be blank")
    if len(text) > max_length:
        raise InvalidEmployerField(field, f"at most {max_length} characters")
    return text


def check_email(field: str, value: str) -> str:
    email = value.strip()
    if len(email) > 254 or not EMAIL.match(email):
        raise InvalidEmployerField(field, "is not an e-mail address (name@domain.tld)")
    return email


def check_phone(field: str, value: str) -> str:
    """The number in international form: `01 23 45 67 89` -> `+33123456789`."""
    digits = PHONE_SEPARATORS.sub("", value)
    if FRENCH_PHONE.match(digits):
        return "+33" + digits[1:]
    if INTERNATIONAL_PHONE.match(digits):
        return digits
    raise InvalidEmployerField(
        field, "is not a phone number (a French 0X XX XX XX XX, or +<country code> and 8 to 15 digits)"
    )


def check_address(address: Address) -> Address:
    country = address.country.strip().upper()
    if not COUNTRY.match(country):
        raise InvalidEmployerField("address.country", "is not an ISO 3166 two-letter country code")
    postal_code = address.postal_code.strip()
    if country == "FR" and not FRENCH_POSTAL_CODE.match(postal_code):
        raise InvalidEmployerField("address.postal_code", "a French postal code has 5 digits")
    if not postal_code:
        raise InvalidEmployerField("address.postal_code", "must not be blank")
    return Address(
        street=check_text("address.street", address.street),
        postal_code=postal_code,
        city=check_text("address.city", address.city, max_length=100),
        country=country,
    )


def check_contacts(contacts: tuple[Contact, ...]) -> tuple[Contact, ...]:
    if not contacts:
        raise InvalidEmployerField("contacts", "name at least one contact")
    if len(contacts) > MAX_CONTACTS:
        raise InvalidEmployerField("contacts", f"at most {MAX_CONTACTS} contacts")
    return tuple(
        Contact(
            name=check_text(f"contacts.{n}.name", contact.name),
            email=check_email(f"contacts.{n}.email", contact.email),
            phone=None if contact.phone is None else check_phone(f"contacts.{n}.phone", contact.phone),
            role=None if contact.role is None else check_text(f"contacts.{n}.role", contact.role),
        )
        for n, contact in enumerate(contacts)
    )


def check_effective_on(effective_on: date, registered_at: datetime) -> None:
    """A status change takes effect on or after the day the structure was registered (UTC)."""
    if effective_on < registered_at.date():
        raise InvalidEmployerField(
            "effective_on", f"is before the structure's registration on {registered_at.date().isoformat()}"
        )
