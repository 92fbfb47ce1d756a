"""Invoice documents: CII XML (EN 16931), a visual PDF, the Factur-X PDF/A-3, attachments.

Documents are generated on first download from the invoice's lines and cached in
`DocumentCache`. Group downloads are built into a temporary file and streamed out as base64
in chunks, so neither the file nor its base64 is ever held whole in memory.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import random
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.utils import timezone
from facturx import generate_from_binary
from fpdf import FPDF
from lxml import etree

from sandbox.amounts import compute_totals
from sandbox.models import Attachment, DocumentCache, Invoice

NS_RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
NS_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
NS_QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NS_UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NSMAP = {"rsm": NS_RSM, "ram": NS_RAM, "qdt": NS_QDT, "udt": NS_UDT}

# factur-x logs every generated PDF at INFO: too chatty for a development server.
logging.getLogger("factur-x").setLevel(logging.WARNING)

#: Bytes read per base64 chunk: a multiple of 3, so chunks encode without padding.
B64_CHUNK = 3 * 64 * 1024
#: Size of the generated chunks of random attachments.
RANDOM_CHUNK = 1024 * 1024
#: Version of the document layout: bump it to regenerate cached documents.
LAYOUT_VERSION = "1"


# --- CII XML ------------------------------------------------------------------------------


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", **attrs)
    if text is not None:
        element.text = text
    return element


def _date102(parent: etree._Element, tag: str, value: date) -> None:
    holder = _el(parent, tag)
    _el(holder, "udt:DateTimeString", value.strftime("%Y%m%d"), format="102")


def _amount(value: Decimal | str) -> str:
    return f"{Decimal(value):.2f}"


def _rate(value: Decimal | str) -> str:
    text = f"{Decimal(value).normalize():f}"
    return text


def _vat_category(rate: Decimal) -> str:
    return "S" if rate > 0 else "Z"


def _party(parent: etree._Element, tag: str, structure: Any) -> None:
    party = _el(parent, tag)
    _el(party, "ram:Name", structure.name)
    legal = _el(party, "ram:SpecifiedLegalOrganization")
    _el(legal, "ram:ID", structure.identifier[:9], schemeID="0002")
    address = _el(party, "ram:PostalTradeAddress")
    _el(address, "ram:PostcodeCode", structure.postal_code or "75001")
    _el(address, "ram:LineOne", structure.street or "1 rue de la République")
    _el(address, "ram:CityName", structure.city or "Paris")
    _el(address, "ram:CountryID", "FR")
    if structure.vat_number:
        registration = _el(party, "ram:SpecifiedTaxRegistration")
        _el(registration, "ram:ID", structure.vat_number, schemeID="VA")


def build_cii_xml(invoice: Invoice) -> bytes:
    """The invoice as a Cross Industry Invoice (Factur-X EN 16931 profile)."""
    totals = compute_totals(invoice.lines)
    root = etree.Element(f"{{{NS_RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _el(root, "rsm:ExchangedDocumentContext")
    guideline = _el(context, "ram:GuidelineSpecifiedDocumentContextParameter")
    _el(guideline, "ram:ID", "urn:cen.eu:en16931:2017")

    document = _el(root, "rsm:ExchangedDocument")
    _el(document, "ram:ID", invoice.numero_facture)
    _el(document, "ram:TypeCode", "381" if invoice.type_facture == "AVOIR" else "380")
    _date102(document, "ram:IssueDateTime", invoice.date_facture)
    if invoice.commentaire:
        note = _el(document, "ram:IncludedNote")
        _el(note, "ram:Content", invoice.commentaire)

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for line in invoice.lines:
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        line_doc = _el(item, "ram:AssociatedDocumentLineDocument")
        _el(line_doc, "ram:LineID", str(line["numero"]))
        product = _el(item, "ram:SpecifiedTradeProduct")
        _el(product, "ram:SellerAssignedID", line["reference"])
        _el(product, "ram:Name", line["denomination"])
        agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
        price = _el(agreement, "ram:NetPriceProductTradePrice")
        _el(price, "ram:ChargeAmount", _amount(line["prixUnitaireHT"]))
        delivery = _el(item, "ram:SpecifiedLineTradeDelivery")
        _el(delivery, "ram:BilledQuantity", str(Decimal(line["quantite"])), unitCode=line["unite"])
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        tax = _el(settlement, "ram:ApplicableTradeTax")
        rate = Decimal(line["tauxTva"])
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:CategoryCode", _vat_category(rate))
        _el(tax, "ram:RateApplicablePercent", _rate(rate))
        summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _el(summation, "ram:LineTotalAmount", _amount(line["montantHT"]))

    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    _el(agreement, "ram:BuyerReference", invoice.code_service_executant or invoice.code_destinataire)
    _party(agreement, "ram:SellerTradeParty", invoice.supplier)
    _party(agreement, "ram:BuyerTradeParty", invoice.recipient)
    if invoice.numero_bon_commande:
        order = _el(agreement, "ram:BuyerOrderReferencedDocument")
        _el(order, "ram:IssuerAssignedID", invoice.numero_bon_commande)
    if invoice.numero_marche:
        contract = _el(agreement, "ram:ContractReferencedDocument")
        _el(contract, "ram:IssuerAssignedID", invoice.numero_marche)

    _el(transaction, "ram:ApplicableHeaderTradeDelivery")

    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(settlement, "ram:InvoiceCurrencyCode", invoice.devise)
    if invoice.supplier.iban:
        means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _el(means, "ram:TypeCode", "30")
        account = _el(means, "ram:PayeePartyCreditorFinancialAccount")
        _el(account, "ram:IBANID", invoice.supplier.iban)
    for vat_line in totals.vat_lines:
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", _amount(vat_line.amount))
        _el(tax, "ram:TypeCode", "VAT")
        if vat_line.rate == 0:
            _el(tax, "ram:ExemptionReason", "Taux zéro")
        _el(tax, "ram:BasisAmount", _amount(vat_line.base))
        _el(tax, "ram:CategoryCode", _vat_category(vat_line.rate))
        _el(tax, "ram:RateApplicablePercent", _rate(vat_line.rate))
    terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
    _date102(terms, "ram:DueDateDateTime", invoice.date_echeance or invoice.date_facture)
    summation = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(summation, "ram:LineTotalAmount", _amount(totals.net))
    _el(summation, "ram:TaxBasisTotalAmount", _amount(totals.net))
    _el(summation, "ram:TaxTotalAmount", _amount(totals.vat), currencyID=invoice.devise)
    _el(summation, "ram:GrandTotalAmount", _amount(totals.gross))
    _el(summation, "ram:DuePayableAmount", _amount(invoice.montant_a_payer))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --- visual PDF -----------------------------------------------------------------------------

_PDF_REPLACEMENTS = str.maketrans(
    {"€": "EUR", "œ": "oe", "Œ": "OE", "’": "'", "‘": "'", "–": "-", "—": "-", "…": "...", "\u202f": " "}
)


def _latin1(text: Any) -> str:
    """Text the PDF core fonts can draw (Latin-1)."""
    return str(text).translate(_PDF_REPLACEMENTS).encode("latin-1", "replace").decode("latin-1")


def _fr_amount(value: Decimal | str) -> str:
    text = f"{Decimal(value):,.2f}".replace(",", " ").replace(".", ",")
    return f"{text} EUR"


def _new_pdf(title: str) -> FPDF:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=timezone.get_fixed_timezone(0)))
    pdf.set_title(_latin1(title))
    pdf.set_author("chorusweb sandbox")
    pdf.set_creator("chorusweb sandbox")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    return pdf


def build_visual_pdf(invoice: Invoice) -> bytes:
    """A simple one- or two-page visual rendering of the invoice."""
    totals = compute_totals(invoice.lines)
    kind = "AVOIR" if invoice.type_facture == "AVOIR" else "FACTURE"
    pdf = _new_pdf(f"{kind} {invoice.numero_facture}")
    supplier, recipient = invoice.supplier, invoice.recipient

    pdf.set_font("helvetica", "B", 14)
    pdf.cell(0, 8, _latin1(supplier.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 9)
    for text in (
        supplier.street,
        f"{supplier.postal_code} {supplier.city}",
        f"SIRET {supplier.identifier} - TVA {supplier.vat_number}",
    ):
        pdf.cell(0, 5, _latin1(text), new_x="LMARGIN", new_y="NEXT")

    pdf.set_xy(110, 40)
    pdf.set_font("helvetica", "B", 10)
    pdf.multi_cell(90, 5, _latin1(recipient.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(110)
    pdf.set_font("helvetica", "", 9)
    pdf.multi_cell(
        90,
        5,
        _latin1(
            f"{invoice.nom_service_executant}\n{recipient.street}\n{recipient.postal_code} {recipient.city}\n"
            f"SIRET {recipient.identifier}"
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )

    pdf.set_y(75)
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 10, _latin1(f"{kind} n° {invoice.numero_facture}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 9)
    references = [
        f"Date de facture : {invoice.date_facture:%d/%m/%Y}",
        f"Échéance : {(invoice.date_echeance or invoice.date_facture):%d/%m/%Y}",
        f"Service exécutant : {invoice.code_service_executant or '-'}",
        f"Engagement : {invoice.numero_bon_commande or '-'}",
        f"Marché : {invoice.numero_marche or '-'}",
        f"Cadre de facturation : {invoice.cadre_facturation}",
    ]
    for text in references:
        pdf.cell(0, 5, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    widths = (12, 78, 18, 14, 26, 14, 28)
    headers = ("N°", "Désignation", "Qté", "Unité", "PU HT", "TVA %", "Montant HT")
    pdf.set_font("helvetica", "B", 8)
    for width, header in zip(widths, headers, strict=True):
        pdf.cell(width, 6, _latin1(header), border=1)
    pdf.ln()
    pdf.set_font("helvetica", "", 8)
    for line in invoice.lines:
        values = (
            str(line["numero"]),
            str(line["denomination"])[:48],
            str(line["quantite"]),
            line["unite"],
            _fr_amount(line["prixUnitaireHT"]),
            _rate(line["tauxTva"]),
            _fr_amount(line["montantHT"]),
        )
        for width, value in zip(widths, values, strict=True):
            pdf.cell(width, 6, _latin1(value), border=1)
        pdf.ln()
    pdf.ln(4)

    pdf.set_font("helvetica", "B", 9)
    pdf.cell(0, 6, "Récapitulatif de TVA", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 9)
    for vat_line in totals.vat_lines:
        pdf.cell(
            0,
            5,
            _latin1(
                f"Taux {_rate(vat_line.rate)} % : base {_fr_amount(vat_line.base)}, TVA {_fr_amount(vat_line.amount)}"
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(3)
    pdf.set_font("helvetica", "B", 10)
    for label, value in (
        ("Total HT", totals.net),
        ("Total TVA", totals.vat),
        ("Total TTC", totals.gross),
        ("Net à payer", invoice.montant_a_payer),
    ):
        pdf.cell(140, 6, _latin1(label), align="R")
        pdf.cell(40, 6, _latin1(_fr_amount(value)), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("helvetica", "", 8)
    if supplier.iban:
        pdf.cell(0, 5, _latin1(f"Paiement par virement - IBAN {supplier.iban}"), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0,
        5,
        _latin1("Document fictif généré par le bac à sable chorusweb : aucune valeur comptable."),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())


def build_facturx_pdf(invoice: Invoice, xml: bytes) -> bytes:
    """The visual PDF turned into a Factur-X PDF/A-3 carrying the CII XML."""
    return generate_from_binary(
        build_visual_pdf(invoice), xml, flavor="factur-x", level="en16931", check_xsd=True, lang="fr-FR"
    )


def _cache_key(invoice: Invoice) -> str:
    digest = hashlib.sha256()
    for part in (
        LAYOUT_VERSION,
        invoice.numero_facture,
        invoice.type_facture,
        str(invoice.date_facture),
        str(invoice.montant_ttc),
        str(invoice.recipient_id),
        invoice.code_service_executant,
        invoice.numero_bon_commande,
        repr(invoice.lines),
    ):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class InvoiceDocuments:
    pdf: bytes
    xml: bytes


def invoice_documents(invoice: Invoice) -> InvoiceDocuments:
    """The invoice's Factur-X PDF and CII XML, generated once and cached."""
    key = _cache_key(invoice)
    cached = DocumentCache.objects.filter(invoice=invoice, key=key).values_list("pdf", "xml").first()
    if cached:
        return InvoiceDocuments(pdf=bytes(cached[0]), xml=bytes(cached[1]))
    xml = build_cii_xml(invoice)
    pdf = build_facturx_pdf(invoice, xml)
    DocumentCache.objects.update_or_create(invoice=invoice, defaults={"key": key, "pdf": pdf, "xml": xml})
    return InvoiceDocuments(pdf=pdf, xml=xml)


# --- attachments --------------------------------------------------------------------------------


def _attachment_pdf(attachment: Attachment) -> bytes:
    pdf = _new_pdf(attachment.designation or attachment.name)
    pdf.set_font("helvetica", "B", 14)
    pdf.cell(0, 10, _latin1(attachment.designation or attachment.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 10)
    rng = random.Random(attachment.generator_seed)
    pdf.multi_cell(
        0,
        6,
        _latin1(
            f"Pièce justificative fictive n° {rng.randint(10000, 99999)} jointe à la facture. "
            "Document généré par le bac à sable chorusweb."
        ),
    )
    return bytes(pdf.output())


def attachment_chunks(attachment: Attachment) -> Iterator[bytes]:
    """The attachment's bytes, in chunks (generated files are never held whole)."""
    if attachment.generator == "random":
        remaining = attachment.size
        index = 0
        while remaining > 0:
            size = min(RANDOM_CHUNK, remaining)
            yield random.Random(attachment.generator_seed * 1_000_003 + index).randbytes(size)
            remaining -= size
            index += 1
    elif attachment.generator == "pdf":
        yield _attachment_pdf(attachment)
    else:
        yield bytes(attachment.content or b"")


# --- group downloads ----------------------------------------------------------------------------


class DownloadTooLarge(Exception):
    """The download would exceed the size limit."""

    def __init__(self, size: int):
        super().__init__(size)
        self.size = size


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name).strip("._") or "fichier"


def build_download(
    invoices: list[Invoice], *, file_format: str, with_attachments: bool, limit: int
) -> tuple[IO[bytes], int]:
    """Write the download into a temporary file; return it (at position 0) and its size.

    One invoice without attachments gives the bare PDF or XML; anything else is a ZIP with
    one folder per invoice holding its Factur-X PDF and/or CII XML (both for `ZIP`) and, when
    asked, its attachments. Raises `DownloadTooLarge` before building when over `limit`.
    """
    documents = {invoice.pk: invoice_documents(invoice) for invoice in invoices}
    attachments: dict[int, list[Attachment]] = {invoice.pk: [] for invoice in invoices}
    if with_attachments:
        for attachment in Attachment.objects.filter(invoice__in=invoices).defer("content").order_by("id"):
            attachments[attachment.invoice_id].append(attachment)
    want_pdf = file_format in ("PDF", "ZIP")
    want_xml = file_format in ("XML", "ZIP")
    estimate = sum(
        (len(documents[i.pk].pdf) if want_pdf else 0)
        + (len(documents[i.pk].xml) if want_xml else 0)
        + sum(a.size for a in attachments[i.pk])
        for i in invoices
    )
    if estimate > limit:
        raise DownloadTooLarge(estimate)

    output = tempfile.TemporaryFile()  # noqa: SIM115 (handed to the streaming response)
    bare = len(invoices) == 1 and file_format in ("PDF", "XML") and not attachments[invoices[0].pk]
    if bare:
        docs = documents[invoices[0].pk]
        output.write(docs.pdf if file_format == "PDF" else docs.xml)
    else:
        with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            for invoice in invoices:
                folder = f"{_safe(invoice.numero_facture)}_{invoice.pk}"
                docs = documents[invoice.pk]
                if want_pdf:
                    archive.writestr(f"{folder}/{_safe(invoice.numero_facture)}.pdf", docs.pdf)
                if want_xml:
                    archive.writestr(f"{folder}/{_safe(invoice.numero_facture)}.xml", docs.xml)
                for attachment in attachments[invoice.pk]:
                    arcname = f"{folder}/pieces_jointes/{attachment.pk}_{_safe(attachment.name)}"
                    info = zipfile.ZipInfo(arcname, date_time=(2026, 1, 1, 0, 0, 0))
                    info.compress_type = (
                        zipfile.ZIP_STORED if attachment.generator == "random" else zipfile.ZIP_DEFLATED
                    )
                    with archive.open(info, "w") as target:
                        for chunk in attachment_chunks(attachment):
                            target.write(chunk)
    size = output.tell()
    if size > limit:
        output.close()
        raise DownloadTooLarge(size)
    output.seek(0)
    return output, size


def base64_length(size: int) -> int:
    """Length of the base64 text of `size` bytes."""
    return 4 * ((size + 2) // 3)


def stream_base64_json(file: IO[bytes], *, prefix: bytes, suffix: bytes, chunk: int = B64_CHUNK) -> Iterable[bytes]:
    """Yield `prefix`, the file's base64 in chunks, then `suffix`; close the file at the end."""
    try:
        yield prefix
        while True:
            data = file.read(chunk)
            if not data:
                break
            yield base64.b64encode(data)
        yield suffix
    finally:
        file.close()
