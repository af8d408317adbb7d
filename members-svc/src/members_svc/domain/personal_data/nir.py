"""The NIR (numéro de sécurité sociale): its check key, Corsica's 2A/2B, and the birth date it encodes."""

from __future__ import annotations

from datetime import date

from stdnum.exceptions import ValidationError
from stdnum.fr import nir as stdnum_nir

from members_svc.domain.personal_data.errors import InvalidPersonalData

# Positions 4-5 hold the birth month; 20 and above (or 99) stand for a month unknown at registration.
_MONTHS = range(1, 13)


def checked_nir(value: str, birth_date: date | None) -> str:
    """The NIR in its compact form (15 characters), or InvalidPersonalData on `nir`."""
    try:
        compact: str = stdnum_nir.validate(value)
    except ValidationError as error:
        raise InvalidPersonalData("nir", f"not a valid NIR ({error})") from error
    if compact[0] not in "12378":
        raise InvalidPersonalData("nir", "a NIR starts with 1, 2, 3, 7 or 8")
    if birth_date is not None:
        year, month = int(compact[1:3]), int(compact[3:5])
        if year != birth_date.year % 100:
            raise InvalidPersonalData("nir", "the NIR's birth year differs from the birth date")
        if month in _MONTHS and month != birth_date.month:
            raise InvalidPersonalData("nir", "the NIR's birth month differs from the birth date")
    return compact
