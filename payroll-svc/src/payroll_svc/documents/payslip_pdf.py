"""The payslip as a PDF in the clarified layout (bulletin clarifié, arrêté du 25 février 2016 as amended).

Contributions are grouped under the layout's headings; the employer's "other contributions" are one line, as
the layout asks. Amounts are French-formatted (1 583,20). Rendering is deterministic (fixed creation date: the
payment date), so the same payslip gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from payroll_svc.domain.payroll import PayLine, Payslip

# Heading of the clarified layout for each line code; codes absent here go to "Autres contributions".
HEADINGS: dict[str, str] = {
    "maladie": "SANTÉ",
    "prevoyance_cadres": "SANTÉ",
    "accident_travail": "ACCIDENTS DU TRAVAIL - MALADIES PROFESSIONNELLES",
    "vieillesse_plafonnee": "RETRAITE",
    "vieillesse_deplafonnee": "RETRAITE",
    "agirc_arrco_t1": "RETRAITE",
    "agirc_arrco_t2": "RETRAITE",
    "ceg_t1": "RETRAITE",
    "ceg_t2": "RETRAITE",
    "cet": "RETRAITE",
    "allocations_familiales": "FAMILLE - SÉCURITÉ SOCIALE",
    "chomage": "ASSURANCE CHÔMAGE",
    "chomage_intermittents": "ASSURANCE CHÔMAGE",
    "ags": "ASSURANCE CHÔMAGE",
    "csg_deductible": "CSG DÉDUCTIBLE DE L'IMPÔT SUR LE REVENU",
    "csg_crds_non_deductible": "CSG/CRDS NON DÉDUCTIBLE DE L'IMPÔT SUR LE REVENU",
    "rgdu": "EXONÉRATIONS, ÉCRÊTEMENTS ET ALLÈGEMENTS DE COTISATIONS",
}
OTHERS = "AUTRES CONTRIBUTIONS DUES PAR L'EMPLOYEUR"
ORDER = [
    "SANTÉ",
    "ACCIDENTS DU TRAVAIL - MALADIES PROFESSIONNELLES",
    "RETRAITE",
    "FAMILLE - SÉCURITÉ SOCIALE",
    "ASSURANCE CHÔMAGE",
    OTHERS,
    "CSG DÉDUCTIBLE DE L'IMPÔT SUR LE REVENU",
    "CSG/CRDS NON DÉDUCTIBLE DE L'IMPÔT SUR LE REVENU",
    "EXONÉRATIONS, ÉCRÊTEMENTS ET ALLÈGEMENTS DE COTISATIONS",
]
KEEP = "Dans votre intérêt et pour vous aider à faire valoir vos droits, conservez ce bulletin de paie sans "
KEEP += "limitation de durée."
WIDTHS = (
    78,
    24,
    18,
    22,
    18,
    22,
)  # label, base, employee rate, employee amount, employer rate, employer amount


@dataclass(frozen=True, slots=True)
class PayslipDocument:
    payslip_id: str
    employer_name: str
    employer_siret: str
    employer_address: str
    collective_agreement: str
    employee_name: str
    job_title: str
    contract: str
    period_start: date
    period_end: date
    hours: Decimal
    paid_on: date
    payslip: Payslip


def euros(cents: int) -> str:
    """1583,20 as the French write it: 1 583,20."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole:,}".replace(",", " ") + f",{part:02d}"


def percent(rate: Decimal) -> str:
    if not rate:
        return ""
    text = f"{(rate * 100).normalize():f}".replace(".", ",")
    return f"{text} %"


def _row(pdf: FPDF, cells: tuple[str, ...], bold: bool = False) -> None:
    style = "B" if bold else ""
    for index, (width, text) in enumerate(zip(WIDTHS, cells, strict=False)):
        last = index == len(cells) - 1
        size = 8.0
        pdf.set_font("Helvetica", style, size)
        while pdf.get_string_width(text) > width - 2 and size > 5:  # long labels shrink, never overlap
            size -= 0.5
            pdf.set_font("Helvetica", style, size)
        pdf.cell(
            width,
            5,
            text,
            align="L" if index == 0 else "R",
            new_x=XPos.LMARGIN if last else XPos.RIGHT,
            new_y=YPos.NEXT if last else YPos.TOP,
        )


def _line_row(pdf: FPDF, line: PayLine) -> None:
    _row(
        pdf,
        (
            line.label,
            euros(line.base_cents),
            percent(line.employee_rate),
            euros(-line.employee_cents) if line.employee_cents else "",
            percent(line.employer_rate),
            euros(line.employer_cents) if line.employer_cents else "",
        ),
    )


def payslip_pdf(document: PayslipDocument) -> bytes:
    slip = document.payslip
    pdf = FPDF(format="A4")
    pdf.set_creation_date(
        datetime(document.paid_on.year, document.paid_on.month, document.paid_on.day, tzinfo=UTC)
    )
    pdf.set_title(f"Bulletin de paie {document.payslip_id}")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 7, "BULLETIN DE PAIE", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 8)
    for text in (
        f"Employeur : {document.employer_name} - SIRET {document.employer_siret}",
        f"Adresse : {document.employer_address}",
        f"Convention collective : {document.collective_agreement}",
        f"Salarié : {document.employee_name} - {document.job_title} - {document.contract}",
        f"Période : du {document.period_start:%d/%m/%Y} au {document.period_end:%d/%m/%Y} - "
        f"Heures payées : {str(document.hours).replace('.', ',')} - Payé le {document.paid_on:%d/%m/%Y}",
        f"Bulletin n° {document.payslip_id}",
    ):
        pdf.cell(0, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    _row(pdf, ("Rémunération", "", "", "", "", "Montant"), bold=True)
    for earning in slip.earnings:
        _row(pdf, (earning.label, "", "", "", "", euros(earning.amount_cents)))
    _row(pdf, ("SALAIRE BRUT", "", "", "", "", euros(slip.gross_cents)), bold=True)
    pdf.ln(2)
    _row(
        pdf,
        ("Cotisations et contributions sociales", "Base", "Taux sal.", "Salarié", "Taux pat.", "Employeur"),
        True,
    )
    grouped: dict[str, list[PayLine]] = {heading: [] for heading in ORDER}
    for line in slip.lines:
        grouped[HEADINGS.get(line.code, OTHERS)].append(line)
    for heading in ORDER:
        lines = grouped[heading]
        if not lines:
            continue
        if heading == OTHERS:  # one line in the clarified layout
            employee = sum(line.employee_cents for line in lines)
            employer = sum(line.employer_cents for line in lines)
            _row(pdf, (heading, "", "", euros(-employee) if employee else "", "", euros(employer)), bold=True)
            continue
        _row(pdf, (heading, "", "", "", "", ""), bold=True)
        for line in lines:
            _line_row(pdf, line)
    _row(
        pdf,
        (
            "TOTAL DES COTISATIONS ET CONTRIBUTIONS",
            "",
            "",
            euros(-slip.employee_contributions_cents),
            "",
            euros(slip.employer_contributions_cents),
        ),
        bold=True,
    )
    pdf.ln(2)
    for label, amount in (
        ("NET À PAYER AVANT IMPÔT SUR LE REVENU", euros(slip.net_before_tax_cents)),
        (
            f"Impôt sur le revenu prélevé à la source - base {euros(slip.net_taxable_cents)}, "
            f"taux {percent(slip.withholding_rate) or '0 %'}",
            euros(-slip.withholding_cents),
        ),
        ("NET PAYÉ", euros(slip.net_paid_cents)),
        ("Net imposable", euros(slip.net_taxable_cents)),
        # Nothing optional (mutuelle, benefits in kind) is modelled: the net social is the net before tax.
        ("Montant net social", euros(slip.net_before_tax_cents)),
        ("Allègement de cotisations employeur (RGDU)", euros(slip.rgdu_cents)),
        ("Total versé par l'employeur", euros(slip.employer_cost_cents)),
    ):
        _row(pdf, (label, "", "", "", "", amount), bold=label.isupper())
    pdf.ln(4)
    pdf.set_font("Helvetica", "I", 7)
    pdf.multi_cell(0, 4, KEEP)
    return bytes(pdf.output())
