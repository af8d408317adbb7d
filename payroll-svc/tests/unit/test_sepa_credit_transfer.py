"""The salary payment file: pain.001.001.09 built with sepaxml, category purpose SALA, valid per its XSD."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import pytest
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from payroll_svc.integration.sepa_credit_transfer import (
    InvalidPaymentFile,
    PayingAccount,
    SalaryTransfer,
    salary_transfer_file,
    validate_pain_001,
)

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
ACCOUNT = PayingAccount(name="SmartFr SCIC", iban="FR7630006000011234567890189", bic="AGRIFRPP")
PAYSLIP_A = UUID("0192a5e0-0000-7000-8000-000000000001")
PAYSLIP_B = UUID("0192a5e0-0000-7000-8000-000000000002")
TRANSFERS = [
    SalaryTransfer(
        PAYSLIP_A, "Léa Garnier", "FR7630001007941234567890185", 53415, date(2026, 4, 3), "Salaire"
    ),
    SalaryTransfer(PAYSLIP_B, "Jo Martin", "DE89370400440532013000", 144310, date(2026, 4, 3), "Salaire"),
    SalaryTransfer(PAYSLIP_B, "Ana Ruiz", "FR7630001007941234567890185", 100000, date(2026, 4, 7), "Salaire"),
]
CREATED = datetime(2026, 4, 3, 6, 0, tzinfo=UTC)


def test_the_file_validates_against_the_xsd_and_every_block_carries_sala() -> None:
    xml = salary_transfer_file("run-20260403", CREATED, ACCOUNT, TRANSFERS)
    document = etree.fromstring(xml)

    validate_pain_001(xml)  # raises if not valid
    blocks = document.findall(".//p:PmtInf", NS)
    assert len(blocks) == 2  # one per execution date
    assert [block.findtext("p:PmtTpInf/p:CtgyPurp/p:Cd", namespaces=NS) for block in blocks] == [
        "SALA",
        "SALA",
    ]
    assert document.findtext(".//p:GrpHdr/p:MsgId", namespaces=NS) == "run-20260403"
    assert document.findtext(".//p:GrpHdr/p:CreDtTm", namespaces=NS) == "2026-04-03T06:00:00Z"
    assert document.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=NS) == "3"
    assert document.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "2977.25"
    end_to_end = [element.text for element in document.iterfind(".//p:EndToEndId", NS)]
    assert end_to_end[0] == PAYSLIP_A.hex


def test_the_same_run_gives_the_same_file() -> None:
    assert salary_transfer_file("run-1", CREATED, ACCOUNT, TRANSFERS) == salary_transfer_file(
        "run-1", CREATED, ACCOUNT, TRANSFERS
    )


def test_a_file_with_the_category_purpose_out_of_place_does_not_validate() -> None:
    document = etree.fromstring(salary_transfer_file("run-1", CREATED, ACCOUNT, TRANSFERS[:1]))
    payment_type = document.find(".//p:PmtTpInf", NS)
    purpose = payment_type.find("p:CtgyPurp", NS)
    payment_type.remove(purpose)
    payment_type.insert(0, purpose)  # before SvcLvl: the schema's sequence forbids it

    with pytest.raises(InvalidPaymentFile) as refused:
        validate_pain_001(etree.tostring(document))
    assert "SvcLvl': This element is not expected" in str(refused.value)


def test_an_invalid_iban_is_refused_by_the_schema() -> None:
    wrong = SalaryTransfer(PAYSLIP_A, "Léa Garnier", "not an iban", 100, date(2026, 4, 3), "Salaire")

    with pytest.raises(InvalidPaymentFile):
        salary_transfer_file("run-1", CREATED, ACCOUNT, [wrong])
