"""What invoice commands check, and the errors they refuse with."""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, timedelta

from stdnum.eu import vat
from stdnum.fr import siren

from billing_svc.domain.invoicing.events import DraftContent, Line, Party
from billing_svc.domain.invoicing.reference import BillingReference

# Numbers and series: letters, digits and + - _ / only (CGI ann. II art. 242 nonies A, I-2°; BR-FR-04)
NUMBER_CHARACTERS = re.compile(r"^[A-Za-z0-9+\-_/]+$")
MAX_SERIES_LENGTH = 20
MAX_LINES = 500
MAX_QUANTITY_PLACES = 4
# What XML 1.0 (the Factur-X CII) cannot carry: C0 controls but tab and newlines, surrogates, FFFE, FFFF.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class InvalidInvoiceField(ValueError):
    """One input is not valid; `field` names it (`lines.0.vat_percent`)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class UnknownInvoice(LookupError):
    """No invoice under this id (in this tenant)."""


class InvoiceAlreadyExists(Exception):
    """A draft with this id exists already."""


class InvoiceAlreadyIssued(Exception):
    """The invoice is finalised: nothing about it changes any more (a credit note corrects it)."""


class InvoiceDiscarded(Exception):
    """The draft was discarded."""


class CannotFinalise(Exception):
    """The draft lacks what an issued invoice must say."""


class CreditNoteRefused(Exception):
    """The credit note does not correct an issued invoice within its amount."""


def check_series(series: str) -> str:
    if not (0 < len(series) <= MAX_SERIES_LENGTH) or not NUMBER_CHARACTERS.match(series):
        raise InvalidInvoiceField(
            "series", f"1 to {MAX_SERIES_LENGTH} characters among letters, digits and + - _ /"
        )
    return series


def invoice_number(series: str, sequence: int) -> str:
    """`F2026-000042`: the series, then the sequence (zero-padded so numbers sort as they were issued)."""
    number = f"{series}-{sequence:06d}"
    if sequence < 1 or not NUMBER_CHARACTERS.match(number):
        raise InvalidInvoiceField("number", f"{number!r} is not a valid invoice number")
    return number


def check_text(field: str, value: str | None) -> None:
    if value is not None and NOT_XML.search(value):
        raise InvalidInvoiceField(field, "holds a control character an invoice cannot carry")


def check_party(field: str, party: Party, *, siren_required: bool) -> Party:
    if not party.name.strip():
        raise InvalidInvoiceField(f"{field}.name", "is required")
    check_text(f"{field}.name", party.name)
    check_text(f"{field}.electronic_address", party.electronic_address)
    if not re.fullmatch(r"[0-9]{4}", party.electronic_address_scheme):
        raise InvalidInvoiceField(f"{field}.electronic_address_scheme", "an ISO 6523 ICD: 4 digits")
    for part in ("street", "postal_code", "city"):
        check_text(f"{field}.address.{part}", getattr(party.address, part))
    if party.siren is not None:
        if not siren.is_valid(party.siren):
            raise InvalidInvoiceField(f"{field}.siren", "is not a valid SIREN (9 digits, Luhn key)")
        party = party.model_copy(update={"siren": siren.compact(party.siren)})
    elif siren_required:
        raise InvalidInvoiceField(f"{field}.siren", "is required")
    if party.vat_number is not None:
        if not vat.is_valid(party.vat_number):
            raise InvalidInvoiceField(f"{field}.vat_number", "is not a valid EU VAT number")
        party = party.model_copy(update={"vat_number": vat.compact(party.vat_number)})
    if not re.fullmatch(r"[A-Z]{2}", party.address.country):
        raise InvalidInvoiceField(f"{field}.address.country", "is an ISO 3166-1 alpha-2 code")
    return party


def check_content(content: DraftContent, reference: BillingReference, on: date) -> DraftContent:
    """The draft's own coherence: rates in force, an exemption in the table, terms within the law."""
    buyer = check_party("buyer", content.buyer, siren_required=False)
    check_text("note", content.note)
    if not content.lines:
        raise InvalidInvoiceField("lines", "at least one line")
    if len(content.lines) > MAX_LINES:
        raise InvalidInvoiceField("lines", f"at most {MAX_LINES} lines")
    if content.vat_exemption is not None and reference.exemption(content.vat_exemption, on) is None:
        raise InvalidInvoiceField("vat_exemption", f"no exemption {content.vat_exemption!r} in force on {on}")
    for i, line in enumerate(content.lines):
        _check_line(i, line, content.vat_exemption is not None, reference, on)
    check_payment_terms(content.payment_terms.days, content.payment_terms.end_of_month, reference, on)
    return content.model_copy(update={"buyer": buyer})


def _check_line(i: int, line: Line, exempt: bool, reference: BillingReference, on: date) -> None:
    if not line.description.strip():
        raise InvalidInvoiceField(f"lines.{i}.description", "is required")
    check_text(f"lines.{i}.description", line.description)
    if line.quantity <= 0 or -line.quantity.as_tuple().exponent > MAX_QUANTITY_PLACES:  # type: ignore[operator]
        raise InvalidInvoiceField(f"lines.{i}.quantity", f"positive, at most {MAX_QUANTITY_PLACES} decimals")
    if line.unit_price_cents < 0:
        raise InvalidInvoiceField(f"lines.{i}.unit_price_cents", "is not negative")
    if exempt:
        if line.vat_percent is not None:
            raise InvalidInvoiceField(f"lines.{i}.vat_percent", "none on an invoice exempt from VAT")
        return
    if line.vat_percent is None:
        raise InvalidInvoiceField(f"lines.{i}.vat_percent", "a VAT rate, or an exemption on the invoice")
    if reference.vat_rate(line.vat_percent, on) is None:
        rates = ", ".join(str(r) for r in reference.rates_in_force(on))
        raise InvalidInvoiceField(f"lines.{i}.vat_percent", f"not a French VAT rate on {on} ({rates})")


def check_payment_terms(days: int, end_of_month: bool, reference: BillingReference, on: date) -> None:
    terms = reference.terms(on)
    limit = terms.max_days_end_of_month if end_of_month else terms.max_days_net
    if not 0 <= days <= limit:
        how = "days end of month" if end_of_month else "days from the invoice date"
        raise InvalidInvoiceField("payment_terms.days", f"at most {limit} {how} (Code de commerce L441-10)")


def due_date(issue_date: date, days: int, end_of_month: bool) -> date:
    """Net: issue + days. End of month: issue + days, then the end of that month."""
    due = issue_date + timedelta(days=days)
    if end_of_month:
        due = due.replace(day=monthrange(due.year, due.month)[1])
    return due
