"""One SEPA Core direct debit collection as a pain.008.001.08 file, XSD-checked.

`sepaxml` builds the document (it supports pain.008.001.08). The identifiers it draws at random and its
local-time creation date are replaced by the collection's own, so a file is reproducible from what is stored.
Validation is lxml on the vendored ISO 20022 XSD (README.md beside it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from typing import Any
from uuid import UUID

from lxml import etree  # type: ignore[import-untyped, unused-ignore]  # no stubs in the workspace
from sepaxml import SepaDD

SCHEMA = "pain.008.001.08"
NAMESPACE = f"urn:iso:std:iso:20022:tech:xsd:{SCHEMA}"
MAX_ID = 35  # Max35Text: message, payment information and end-to-end ids


@dataclass(frozen=True, slots=True)
class Creditor:
    """The tenant as the collecting creditor: its name, SEPA creditor identifier (ICS, AT-02) and account."""

    name: str
    creditor_id: str
    iban: str
    bic: str | None


@dataclass(frozen=True, slots=True)
class Collection:
    direct_debit_id: UUID
    invoice_number: str
    amount_cents: int
    collection_date: date
    sequence_type: str  # FRST or RCUR
    mandate_reference: str
    mandate_signed_on: date
    debtor_name: str
    debtor_iban: str
    debtor_bic: str | None
    debtor_country: str


class InvalidCollectionFile(ValueError):
    """The file does not validate against the pain.008.001.08 XSD; `errors` are the validator's messages."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _q(tag: str) -> str:
    return f"{{{NAMESPACE}}}{tag}"


def _compact(identifier: UUID) -> str:
    return identifier.hex  # 32 characters: a UUID with its hyphens does not fit Max35Text


def collection_file(creditor: Creditor, collection: Collection, created_at: datetime) -> bytes:
    config: dict[str, Any] = {
        "name": creditor.name,
        "IBAN": creditor.iban,
        "batch": True,
        "creditor_id": creditor.creditor_id,
        "currency": "EUR",
        "instrument": "CORE",
    }
    if creditor.bic:
        config["BIC"] = creditor.bic
    document = SepaDD(config, schema=SCHEMA, clean=True)
    payment: dict[str, Any] = {
        "name": collection.debtor_name,
        "IBAN": collection.debtor_iban,
        "amount": collection.amount_cents,
        "type": collection.sequence_type,
        "collection_date": collection.collection_date,
        "mandate_id": collection.mandate_reference,
        "mandate_date": collection.mandate_signed_on,
        "description": f"Facture {collection.invoice_number}",
        "endtoend_id": _compact(collection.direct_debit_id),
        "address": {"country": collection.debtor_country},
    }
    if collection.debtor_bic:
        payment["BIC"] = collection.debtor_bic
    document.add_payment(payment)
    built = etree.fromstring(document.export(validate=False))
    header = built.find(f"{_q('CstmrDrctDbtInitn')}/{_q('GrpHdr')}")
    header.find(_q("MsgId")).text = _compact(collection.direct_debit_id)
    header.find(_q("CreDtTm")).text = created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for number, block in enumerate(built.iter(_q("PmtInf")), start=1):
        block.find(_q("PmtInfId")).text = f"{_compact(collection.direct_debit_id)}-{number}"
    xml: bytes = etree.tostring(built, xml_declaration=True, encoding="UTF-8")
    validate_pain_008(xml)
    return xml


@cache
def _schema() -> etree.XMLSchema:
    xsd = resources.files(__package__).joinpath(f"{SCHEMA}.xsd")
    with resources.as_file(xsd) as path:
        return etree.XMLSchema(etree.parse(str(path)))


def validate_pain_008(xml: bytes) -> None:
    """Raise InvalidCollectionFile unless `xml` validates against the ISO 20022 pain.008.001.08 XSD."""
    schema = _schema()
    if not schema.validate(etree.fromstring(xml)):
        raise InvalidCollectionFile([f"line {error.line}: {error.message}" for error in schema.error_log])
