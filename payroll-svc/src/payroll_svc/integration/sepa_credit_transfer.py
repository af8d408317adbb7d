"""Salary payments as a SEPA credit transfer file: pain.001.001.09, category purpose SALA, XSD-checked.

`sepaxml` builds the document (it supports pain.001.001.03, .09, .10 and .11 and ships their ISO 20022 XSDs);
it has no category purpose, so `SALA` is added to each payment information block's PmtTpInf, where the schema
puts it (after SvcLvl and LclInstrm). The identifiers sepaxml draws at random and its local-time creation date
are replaced by the run's, so a run's file is reproducible. Validation uses lxml on sepaxml's XSD.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from typing import Any
from uuid import UUID

from lxml import etree  # type: ignore[import-untyped, unused-ignore]  # no stubs in the workspace
from sepaxml import SepaTransfer

from payroll_svc.domain.payments import end_to_end_id

SCHEMA = "pain.001.001.09"
NAMESPACE = f"urn:iso:std:iso:20022:tech:xsd:{SCHEMA}"
SALARY = "SALA"  # ISO 20022 ExternalCategoryPurpose1Code: salary payment
MAX_ID = 35  # Max35Text: message, payment information and end-to-end ids


@dataclass(frozen=True, slots=True)
class PayingAccount:
    """The tenant's account the salaries are paid from."""

    name: str
    iban: str
    bic: str | None = None


@dataclass(frozen=True, slots=True)
class SalaryTransfer:
    payslip_id: UUID
    employee_name: str
    iban: str
    amount_cents: int
    execution_date: date
    remittance: str
    bic: str | None = None

    @property
    def end_to_end_id(self) -> str:
        """The payslip id, without its hyphens: a UUID is 36 characters, the field takes 35."""
        return end_to_end_id(self.payslip_id)


class InvalidPaymentFile(ValueError):
    """The file does not validate against the pain.001 XSD; `errors` are the validator's messages."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _q(tag: str) -> str:
    return f"{{{NAMESPACE}}}{tag}"


def salary_transfer_file(
    run_id: str, created_at: datetime, account: PayingAccount, transfers: list[SalaryTransfer]
) -> bytes:
    """One pain.001.001.09 document: one payment information block per execution date, each marked SALA."""
    if not transfers:
        raise ValueError("a payment file needs at least one transfer")
    if len(run_id) > MAX_ID - 4:
        raise ValueError("the run id must leave room for the block number (31 characters at most)")
    config: dict[str, Any] = {"name": account.name, "IBAN": account.iban, "batch": True, "currency": "EUR"}
    if account.bic:
        config["BIC"] = account.bic
    document = SepaTransfer(config, schema=SCHEMA, clean=True)
    for transfer in transfers:
        payment: dict[str, Any] = {
            "name": transfer.employee_name,
            "IBAN": transfer.iban,
            "amount": transfer.amount_cents,
            "execution_date": transfer.execution_date,
            "description": transfer.remittance,
            "endtoend_id": transfer.end_to_end_id,
        }
        if transfer.bic:
            payment["BIC"] = transfer.bic
        document.add_payment(payment)
    built = etree.fromstring(document.export(validate=False))

    header = built.find(f"{_q('CstmrCdtTrfInitn')}/{_q('GrpHdr')}")
    header.find(_q("MsgId")).text = run_id
    header.find(_q("CreDtTm")).text = created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for number, block in enumerate(built.iter(_q("PmtInf")), start=1):
        block.find(_q("PmtInfId")).text = f"{run_id}-{number}"
        payment_type = block.find(_q("PmtTpInf"))
        if payment_type is None:  # sepaxml omits it for domestic files: PmtTpInf comes after CtrlSum
            payment_type = etree.Element(_q("PmtTpInf"))
            block.find(_q("CtrlSum")).addnext(payment_type)
        purpose = etree.SubElement(payment_type, _q("CtgyPurp"))
        etree.SubElement(purpose, _q("Cd")).text = SALARY
    xml: bytes = etree.tostring(built, xml_declaration=True, encoding="UTF-8")
    validate_pain_001(xml)
    return xml


@cache
def _schema() -> etree.XMLSchema:
    xsd = resources.files("sepaxml").joinpath("schemas", f"{SCHEMA}.xsd")
    with resources.as_file(xsd) as path:
        return etree.XMLSchema(etree.parse(str(path)))


def validate_pain_001(xml: bytes) -> None:
    """Raise InvalidPaymentFile unless `xml` validates against the ISO 20022 pain.001.001.09 XSD."""
    schema = _schema()
    if not schema.validate(etree.fromstring(xml)):
        raise InvalidPaymentFile([f"line {error.line}: {error.message}" for error in schema.error_log])
