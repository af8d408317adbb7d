"""The pain.008.001.08 collection file: built by sepaxml, XSD-checked, reproducible, with the ICS, the mandate
and the sequence type; a document that breaks the XSD is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import pytest
from lxml import etree

from billing_svc.reference.tenants import TENANTS
from billing_svc.sepa.direct_debit import (
    NAMESPACE,
    Collection,
    InvalidCollectionFile,
    collection_file,
    validate_pain_008,
)

NS = {"p": NAMESPACE}
DEBIT = UUID("3c1d4e5a-6b7c-5d8e-9f0a-1b2c3d4e5f60")
CREATED = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
COLLECTION = Collection(
    direct_debit_id=DEBIT,
    invoice_number="GDC-000001",
    amount_cents=5_460_000,
    collection_date=date(2026, 12, 16),
    sequence_type="FRST",
    mandate_reference="GDC-ATELIERS-0001",
    mandate_signed_on=date(2026, 11, 2),
    debtor_name="Les Ateliers du Spectacle",
    debtor_iban="FR7630004000000002345678983",
    debtor_bic=None,
    debtor_country="FR",
)


def test_a_collection_file_validates_and_says_who_collects_what_under_which_mandate() -> None:
    creditor = TENANTS.of("smartfr").creditor
    xml = collection_file(creditor, COLLECTION, CREATED)
    validate_pain_008(xml)
    doc = etree.fromstring(xml)

    def text(path: str) -> str:
        found = doc.xpath(f"string({path})", namespaces=NS)
        assert isinstance(found, str)
        return found

    assert text("//p:GrpHdr/p:MsgId") == DEBIT.hex
    assert text("//p:GrpHdr/p:CtrlSum") == "54600.00"
    assert text("//p:PmtInf/p:PmtTpInf/p:LclInstrm/p:Cd") == "CORE"
    assert text("//p:PmtInf/p:PmtTpInf/p:SeqTp") == "FRST"
    assert text("//p:PmtInf/p:ReqdColltnDt") == "2026-12-16"
    assert text("//p:CdtrSchmeId//p:Othr/p:Id") == creditor.creditor_id
    assert text("//p:DrctDbtTxInf/p:InstdAmt") == "54600.00"
    assert text("//p:MndtRltdInf/p:MndtId") == "GDC-ATELIERS-0001"
    assert text("//p:MndtRltdInf/p:DtOfSgntr") == "2026-11-02"
    assert text("//p:DbtrAcct//p:IBAN") == "FR7630004000000002345678983"
    assert text("//p:RmtInf/p:Ustrd") == "Facture GDC-000001"
    assert collection_file(creditor, COLLECTION, CREATED) == xml  # reproducible from what is stored


def test_a_file_that_breaks_the_xsd_is_refused() -> None:
    xml = collection_file(TENANTS.of("smartfr").creditor, COLLECTION, CREATED)
    broken = xml.replace(b"<SeqTp>FRST</SeqTp>", b"<SeqTp>ONCE</SeqTp>")
    with pytest.raises(InvalidCollectionFile, match="SeqTp"):
        validate_pain_008(broken)
