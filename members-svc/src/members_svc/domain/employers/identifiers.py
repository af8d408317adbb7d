"""The French identifiers of an employer structure: SIRET, intra-community VAT number, RNA; and its stream id.

Each rule lives here only. The stream of a structure is named after its tenant and SIRET (through a UUIDv5),
so registering the same SIRET twice in a tenant decides on the existing stream and is refused.
"""

from __future__ import annotations

import re
from uuid import UUID, uuid5

from stdnum.exceptions import ValidationError
from stdnum.fr import siret as stdnum_siret
from stdnum.fr import tva as stdnum_tva

from members_svc.domain.employers.rules import InvalidEmployerField

# Any fixed UUID: the namespace of employer structure ids (never change it: ids are derived from it).
EMPLOYER_NAMESPACE = UUID("6a1f4a36-8f0e-5c1b-9a4e-3d2c7b5e0f11")

# RNA (Répertoire national des associations): "W" and 9 digits, e.g. W751234567.
# *check* (DOMAIN.md): the format is the one DOMAIN.md gives and is not verified against an official
# specification here (the digits encode the prefecture; no check digit is known to us).
# Keep the rule here only.
RNA = re.compile(r"^W[0-9]{9}$")


def check_siret(value: str, field: str = "siret") -> str:
    """The 14-digit SIRET (spaces and dots allowed on input), with its Luhn check digit."""
    try:
        return str(stdnum_siret.validate(value))
    except ValidationError as invalid:
        raise InvalidEmployerField(field, f"is not a valid SIRET ({invalid})") from None


def check_vat_number(value: str, field: str = "vat_number") -> str:
    """A French intra-community VAT number, `FR` + 2-character key + SIREN, compact (`FR40303265045`)."""
    try:
        compact = str(stdnum_tva.validate(value))
    except ValidationError as invalid:
        raise InvalidEmployerField(field, f"is not a valid French VAT number ({invalid})") from None
    return compact if compact.startswith("FR") else "FR" + compact


def vat_matches_siret(vat_number: str, siret: str) -> bool:
    """A French VAT number ends with the SIREN (the SIRET's first 9 digits), unless not SIREN-based."""
    return not vat_number[4:].isdigit() or len(vat_number) != 13 or vat_number[4:] == siret[:9]


def check_rna(value: str, field: str = "rna") -> str:
    rna = value.strip().upper()
    if not RNA.match(rna):
        raise InvalidEmployerField(field, "is not an RNA number (W and 9 digits, e.g. W751234567)")
    return rna


def employer_structure_id(tenant: str, siret: str) -> UUID:
    """The structure's id: the same tenant and SIRET always give the same id (and so the same stream)."""
    return uuid5(EMPLOYER_NAMESPACE, f"{tenant}/{check_siret(siret)}")
