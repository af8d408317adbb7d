"""The invoice document: a readable PDF (fpdf2) into which factur-x embeds the CII XML (PDF/A-3, EN 16931)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from facturx.facturx import generate_from_binary
from fpdf import FPDF

from billing_svc.domain.invoicing import IssuedInvoice
from billing_svc.domain.invoicing.amounts import line_cents

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # embedded: PDF/A embeds every font


def _euros(cents: int) -> str:
    return f"{Decimal(cents) / 100:,.2f} €".replace(",", " ")


def invoice_pdf(invoice: IssuedInvoice, xml: bytes) -> bytes:
    draft = invoice.draft
    content = draft.content
    pdf = FPDF()
    pdf.set_title(invoice.number)
    pdf.set_creator("billing-svc")
    pdf.add_page()
    if FONT.exists():
        pdf.add_font("body", fname=str(FONT))
        pdf.set_font("body", size=10)
    else:  # core font fallback (not embedded: the document is then no strict PDF/A)
        pdf.set_font("helvetica", size=10)
    title = "AVOIR" if draft.type_code == "381" else "FACTURE"
    pdf.cell(0, 8, f"{title} {invoice.number}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0,
        6,
        f"Date : {invoice.issue_date:%d/%m/%Y} — échéance : {invoice.due_date:%d/%m/%Y}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    if draft.corrects is not None:
        pdf.cell(
            0,
            6,
            f"Avoir sur la facture {draft.corrects.number} du {draft.corrects.issue_date:%d/%m/%Y}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    for label, party in (("Vendeur", draft.seller), ("Client", content.buyer)):
        ids = " ".join(
            x
            for x in (
                f"SIREN {party.siren}" if party.siren else "",
                f"TVA {party.vat_number}" if party.vat_number else "",
            )
            if x
        )
        where = party.address
        address = f"{where.street}, {where.postal_code} {where.city} ({where.country})"
        pdf.multi_cell(0, 5, f"{label} : {party.name} — {address} {ids}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for line in content.lines:
        rate = f"{line.vat_percent} %" if line.vat_percent is not None else "—"
        price = _euros(line.unit_price_cents)
        text = f"{line.description} — {line.quantity} × {price} — TVA {rate} — {_euros(line_cents(line))}"
        pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for part in invoice.vat_breakdown:
        label = part.exemption_mention or f"TVA {part.percent} % sur {_euros(part.basis_cents)}"
        pdf.multi_cell(0, 5, f"{label} : {_euros(part.vat_cents)}", new_x="LMARGIN", new_y="NEXT")
    totals = invoice.totals
    pdf.cell(
        0,
        6,
        f"Total HT {_euros(totals.basis_cents)} — TVA {_euros(totals.vat_cents)} "
        f"— TTC {_euros(totals.total_cents)}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    mentions = invoice.mentions
    for mention in (mentions.late_penalty, mentions.recovery_indemnity, mentions.early_payment_discount):
        if mention:
            pdf.multi_cell(0, 4, mention, new_x="LMARGIN", new_y="NEXT")
    result: bytes = generate_from_binary(
        bytes(pdf.output()), xml, flavor="factur-x", level="en16931", check_xsd=False, check_schematron=False
    )
    return result
