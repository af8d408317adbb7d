"""The EN 16931 CII XML of an issued invoice or credit note (Factur-X profile EN 16931, business process S1).

Element order follows the Factur-X 1.0.8 EN16931 XSD; ids are the business terms' (BT-x) of EN 16931-1.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree  # type: ignore[import-untyped]

from billing_svc.domain.invoicing import IssuedInvoice, Party
from billing_svc.domain.invoicing.amounts import line_cents

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
EN16931 = "urn:cen.eu:en16931:2017"
SERVICES_PROCESS = "S1"  # BT-23: services only (French e-invoicing reform, "cadre de facturation")
SIREN_SCHEME = "0002"  # ISO 6523 ICD: SIRENE
UNIT = "C62"  # UN/ECE rec. 20: one (unit)
CURRENCY = "EUR"


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    prefix, name = tag.split(":")
    child = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", attrs)
    if text is not None:
        child.text = text
    return child


def _euros(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


def _percent(value: Decimal) -> str:
    return f"{value:.2f}"


def _date(parent: etree._Element, tag: str, day: date, *, qualified: bool = False) -> None:
    holder = _el(parent, tag)
    _el(
        holder,
        "qdt:DateTimeString" if qualified else "udt:DateTimeString",
        day.strftime("%Y%m%d"),
        format="102",
    )


def _party(parent: etree._Element, tag: str, party: Party) -> None:
    node = _el(parent, tag)
    _el(node, "ram:Name", party.name)
    if party.siren is not None:
        legal = _el(node, "ram:SpecifiedLegalOrganization")
        _el(legal, "ram:ID", party.siren, schemeID=SIREN_SCHEME)
    address = _el(node, "ram:PostalTradeAddress")
    _el(address, "ram:PostcodeCode", party.address.postal_code)
    _el(address, "ram:LineOne", party.address.street)
    _el(address, "ram:CityName", party.address.city)
    _el(address, "ram:CountryID", party.address.country)
    if party.electronic_address is not None:
        uri = _el(node, "ram:URIUniversalCommunication")
        _el(uri, "ram:URIID", party.electronic_address, schemeID=party.electronic_address_scheme)
    if party.vat_number is not None:
        tax = _el(node, "ram:SpecifiedTaxRegistration")
        _el(tax, "ram:ID", party.vat_number, schemeID="VA")


def _treatment(buyer: Party) -> str:
    """The French CTC "cadre" of the exchange (BAR note, BR-FR-20): B2B makes the buyer's SIREN mandatory."""
    domestic = buyer.address.country == "FR"
    if buyer.kind == "business":
        return "B2B" if domestic else "B2BINT"
    return "B2C" if domestic else "B2CINT"


def build_cii(invoice: IssuedInvoice) -> bytes:
    draft = invoice.draft
    content = draft.content
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"), "ram:ID", SERVICES_PROCESS)
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", EN16931)

    document = _el(root, "rsm:ExchangedDocument")
    _el(document, "ram:ID", invoice.number)
    _el(document, "ram:TypeCode", draft.type_code)
    _date(document, "ram:IssueDateTime", invoice.issue_date)
    mentions = invoice.mentions
    notes = [
        ("BAR", _treatment(content.buyer)),
        (
            "PMT",
            mentions.recovery_indemnity or "Indemnité forfaitaire pour frais de recouvrement : sans objet.",
        ),
        ("PMD", mentions.late_penalty),
        ("AAB", mentions.early_payment_discount),
    ]
    if content.note:
        notes.insert(0, ("AAI", content.note))
    for subject, text in notes:
        note = _el(document, "ram:IncludedNote")
        _el(note, "ram:Content", text)
        _el(note, "ram:SubjectCode", subject)

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    exemption = next((b for b in invoice.vat_breakdown if b.category != "S"), None)
    for number, line in enumerate(content.lines, start=1):
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(number))
        _el(_el(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.description)
        price = _el(_el(item, "ram:SpecifiedLineTradeAgreement"), "ram:NetPriceProductTradePrice")
        _el(price, "ram:ChargeAmount", _euros(line.unit_price_cents))
        _el(
            _el(item, "ram:SpecifiedLineTradeDelivery"),
            "ram:BilledQuantity",
            f"{line.quantity:f}",
            unitCode=UNIT,
        )
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:CategoryCode", exemption.category if exemption else "S")
        _el(tax, "ram:RateApplicablePercent", _percent(line.vat_percent or Decimal(0)))
        summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _el(summation, "ram:LineTotalAmount", _euros(line_cents(line)))

    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    _party(agreement, "ram:SellerTradeParty", draft.seller)
    _party(agreement, "ram:BuyerTradeParty", content.buyer)
    _el(transaction, "ram:ApplicableHeaderTradeDelivery")

    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(settlement, "ram:InvoiceCurrencyCode", CURRENCY)
    for part in invoice.vat_breakdown:
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", _euros(part.vat_cents))
        _el(tax, "ram:TypeCode", "VAT")
        if part.exemption_mention is not None:
            _el(tax, "ram:ExemptionReason", part.exemption_mention)
        _el(tax, "ram:BasisAmount", _euros(part.basis_cents))
        _el(tax, "ram:CategoryCode", part.category)
        if part.vatex is not None:
            _el(tax, "ram:ExemptionReasonCode", part.vatex)
        _el(tax, "ram:RateApplicablePercent", _percent(part.percent))
    terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
    _date(terms, "ram:DueDateDateTime", invoice.due_date)
    totals = invoice.totals
    summation = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(summation, "ram:LineTotalAmount", _euros(totals.lines_cents))
    _el(summation, "ram:TaxBasisTotalAmount", _euros(totals.basis_cents))
    _el(summation, "ram:TaxTotalAmount", _euros(totals.vat_cents), currencyID=CURRENCY)
    _el(summation, "ram:GrandTotalAmount", _euros(totals.total_cents))
    _el(summation, "ram:DuePayableAmount", _euros(totals.total_cents))
    if draft.corrects is not None:
        referenced = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(referenced, "ram:IssuerAssignedID", draft.corrects.number)
        _date(referenced, "ram:FormattedIssueDateTime", draft.corrects.issue_date, qualified=True)
    xml: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return xml
