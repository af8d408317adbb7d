"""The payslip PDF: the clarified layout's headings and amounts, read back from the document."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from io import BytesIO

from pypdf import PdfReader

from payroll_svc.documents.payslip_pdf import PayslipDocument, euros, payslip_pdf
from payroll_svc.domain.payroll import ContractType, HeadcountBand, PayInput, Status, compute_payslip

PAY = PayInput(
    period=date(2026, 1, 1),
    status=Status.NON_CADRE,
    contract_type=ContractType.CDI,
    headcount=HeadcountBand.FROM_50,
    accident_at_work_rate=Decimal("0.007"),
    hours_paid=Decimal("151.67"),
    gross_pay_cents=200000,
)
DOCUMENT = PayslipDocument(
    payslip_id="0192a5e0-0000-7000-8000-000000000001",
    employer_name="SmartFr SCIC",
    employer_siret="73282932000074",
    employer_address="12 rue des Arts, 75011 Paris",
    collective_agreement="Entreprises artistiques et culturelles (IDCC 1285)",
    employee_name="Léa Garnier",
    job_title="Régisseuse",
    contract="CDI",
    period_start=date(2026, 1, 1),
    period_end=date(2026, 1, 31),
    hours=Decimal("151.67"),
    paid_on=date(2026, 2, 6),
    payslip=compute_payslip(PAY),
)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def test_the_payslip_shows_the_clarified_headings_the_nets_and_the_mention_to_keep_it() -> None:
    text = text_of(payslip_pdf(DOCUMENT))

    for heading in (
        "SANTÉ",
        "RETRAITE",
        "FAMILLE - SÉCURITÉ SOCIALE",
        "ASSURANCE CHÔMAGE",
        "AUTRES CONTRIBUTIONS DUES PAR L'EMPLOYEUR",
        "CSG/CRDS NON DÉDUCTIBLE DE L'IMPÔT SUR LE REVENU",
        "EXONÉRATIONS, ÉCRÊTEMENTS ET ALLÈGEMENTS DE COTISATIONS",
    ):
        assert heading in text
    assert "SALAIRE BRUT 2 000,00" in text
    assert "NET À PAYER AVANT IMPÔT SUR LE REVENU 1 583,20" in text
    assert "Net imposable 1 640,18" in text
    assert "Total versé par l'employeur 2 220,72" in text
    assert "conservez ce bulletin de paie sans" in text
    assert "Léa Garnier" in text


def test_the_other_employer_contributions_are_one_line_of_their_sum() -> None:
    others = {"csa", "fnal", "dialogue_social", "formation_apprentissage", "peec"}
    total = sum(line.employer_cents for line in DOCUMENT.payslip.lines if line.code in others)

    text = text_of(payslip_pdf(DOCUMENT))

    assert f"AUTRES CONTRIBUTIONS DUES PAR L'EMPLOYEUR {euros(total)}" in text
    assert "Contribution solidarité autonomie" not in text


def test_the_same_payslip_gives_the_same_bytes_and_another_gives_others() -> None:
    other = replace(DOCUMENT, payslip=compute_payslip(replace(PAY, gross_pay_cents=350000)))

    assert payslip_pdf(DOCUMENT) == payslip_pdf(DOCUMENT)
    assert payslip_pdf(DOCUMENT) != payslip_pdf(other)


def test_amounts_are_written_the_french_way() -> None:
    assert euros(158320) == "1 583,20"
    assert euros(-5) == "-0,05"
    assert euros(123456789) == "1 234 567,89"
