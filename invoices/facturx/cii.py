"""The CII reader: a UN/CEFACT Cross Industry Invoice (D16B, as used by Factur-X) to content fields.

XML coming from outside is parsed with a hardened lxml parser: no entity resolution, no DTD
loading, no network, no huge trees (no XXE, no billion laughs). Whatever cannot be read is
described, in French, in the reader's errors.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from lxml import etree

from invoices.facturx.content import (
    Attachment,
    InvoiceLine,
    Note,
    Party,
    PaymentMeans,
    PaymentTerms,
    References,
    Totals,
    VatBreakdown,
)

logger = logging.getLogger(__name__)

#: Largest XML read (a bare XML document, or an XML member of a ZIP).
MAX_XML_SIZE = 20 * 1024 * 1024


def _safe_parser() -> etree.XMLParser:
    """An lxml parser that cannot be abused by XML from outside (XXE, entity bombs, network)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
        collect_ids=False,
    )


def parse_xml(xml: bytes, errors: list[str]) -> etree._Element | None:
    """Parse untrusted XML bytes safely; None (with a French error) when malformed."""
    try:
        root = etree.fromstring(xml, parser=_safe_parser())
    except etree.XMLSyntaxError as exc:
        errors.append(_("XML mal formé : %(error)s") % {"error": exc.msg or exc})
        return None
    except (ValueError, etree.LxmlError) as exc:
        errors.append(_("XML illisible : %(error)s") % {"error": exc})
        return None
    if root is None:
        errors.append(_("XML vide."))
        return None
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        errors.append(_("Le XML contient une déclaration DTD : ses entités n'ont pas été interprétées."))
    return root


def is_cii(root: etree._Element) -> bool:
    return local_name(root.tag) == "CrossIndustryInvoice"


def local_name(tag: object) -> str:
    """Local name of an element tag, without its namespace ("" for comments, PIs, entities)."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def _children(element: etree._Element | None, name: str) -> Iterator[etree._Element]:
    if element is None:
        return
    for child in element:
        if local_name(child.tag) == name:
            yield child


def _all(element: etree._Element | None, path: str) -> list[etree._Element]:
    """Elements at ``path`` (local names separated by "/"), whatever their namespace prefix."""
    current = [element] if element is not None else []
    for name in path.split("/"):
        current = [child for parent in current for child in _children(parent, name)]
    return current


def _first(element: etree._Element | None, path: str) -> etree._Element | None:
    found = _all(element, path)
    return found[0] if found else None


def _text_of(element: etree._Element | None) -> str:
    """Direct text of an element, stripped (an unresolved entity never contributes)."""
    if element is None or element.text is None:
        return ""
    return element.text.strip()


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_DATE_FORMATS = {"102": "%Y%m%d", "203": "%Y%m%d%H%M", "204": "%Y%m%d%H%M%S"}


class CiiReader:
    """Reads a CII (Cross Industry Invoice) tree, namespace-prefix agnostic."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.errors: list[str] = []
        self.attachments: list[Attachment] = []

    # -- primitives

    def text(self, element: etree._Element | None, path: str = "") -> str:
        return _text_of(_first(element, path) if path else element)

    def amount(self, element: etree._Element | None, path: str) -> Decimal | None:
        node = _first(element, path)
        return self._decimal(node, path)

    def _decimal(self, node: etree._Element | None, path: str) -> Decimal | None:
        raw = _text_of(node)
        if not raw:
            return None
        candidate = raw.replace(" ", "").replace("\u00a0", "")
        if "," in candidate and "." not in candidate:
            candidate = candidate.replace(",", ".")
        if _NUMBER.fullmatch(candidate):
            try:
                return Decimal(candidate)
            except InvalidOperation:  # pragma: no cover - the regex already filters
                pass
        self.errors.append(
            _("Montant illisible dans %(element)s : « %(value)s ».")
            % {"element": path.rpartition("/")[2], "value": raw[:40]}
        )
        return None

    def date(self, element: etree._Element | None, path: str) -> date | None:
        container = _first(element, path)
        if container is None:
            return None
        node = next(
            (child for child in container if local_name(child.tag) == "DateTimeString"),
            container if len(container) == 0 else None,
        )
        raw = _text_of(node)
        if not raw:
            return None
        fmt = node.get("format", "") if node is not None else ""
        # The declared format first (102 = YYYYMMDD), then what senders write by mistake (ISO 8601).
        for pattern in (_DATE_FORMATS.get(fmt), "%Y%m%d", "%Y-%m-%d"):
            if pattern is None:
                continue
            try:
                return datetime.strptime(raw[:10] if pattern == "%Y-%m-%d" else raw, pattern).date()
            except ValueError:
                continue
        self.errors.append(
            _("Date illisible dans %(element)s : « %(value)s ».") % {"element": path.split("/")[0], "value": raw[:40]}
        )
        return None

    # -- document

    def read(self) -> dict[str, Any]:
        root = self.root
        context = _first(root, "ExchangedDocumentContext")
        document = _first(root, "ExchangedDocument")
        transaction = _first(root, "SupplyChainTradeTransaction")
        agreement = _first(transaction, "ApplicableHeaderTradeAgreement")
        delivery = _first(transaction, "ApplicableHeaderTradeDelivery")
        settlement = _first(transaction, "ApplicableHeaderTradeSettlement")

        guideline_id = self.text(context, "GuidelineSpecifiedDocumentContextParameter/ID")
        invoice_number = self.text(document, "ID")
        if not invoice_number:
            self.errors.append(_("Numéro de facture absent du XML."))
        if transaction is None:
            self.errors.append(_("Le XML ne contient pas de transaction commerciale (SupplyChainTradeTransaction)."))
        currency = self.text(settlement, "InvoiceCurrencyCode")
        result: dict[str, Any] = {
            "guideline_id": guideline_id,
            "profile": _profile_from_guideline(guideline_id),
            "business_process": self.text(context, "BusinessProcessSpecifiedDocumentContextParameter/ID"),
            "invoice_number": invoice_number,
            "type_code": self.text(document, "TypeCode"),
            "issue_date": self.date(document, "IssueDateTime"),
            "currency": currency,
            "seller": self.party(_first(agreement, "SellerTradeParty")),
            "buyer": self.party(_first(agreement, "BuyerTradeParty")),
            "references": self.references(agreement, settlement),
            "delivery_date": self.date(delivery, "ActualDeliverySupplyChainEvent/OccurrenceDateTime"),
            "billing_period_start": self.date(settlement, "BillingSpecifiedPeriod/StartDateTime"),
            "billing_period_end": self.date(settlement, "BillingSpecifiedPeriod/EndDateTime"),
            "lines": tuple(self.line(item) for item in _children(transaction, "IncludedSupplyChainTradeLineItem")),
            "vat_breakdown": tuple(self.vat(tax) for tax in _children(settlement, "ApplicableTradeTax")),
            "totals": self.totals(settlement, currency),
            "payment_terms": tuple(
                self.payment_terms(terms) for terms in _children(settlement, "SpecifiedTradePaymentTerms")
            ),
            "payment_means": tuple(
                self.payment_means(means) for means in _children(settlement, "SpecifiedTradeSettlementPaymentMeans")
            ),
            "notes": tuple(self.note(note) for note in _children(document, "IncludedNote")),
        }
        for reference in _children(agreement, "AdditionalReferencedDocument"):
            self.attachments.append(self.referenced_document(reference))
        return result

    def party(self, element: etree._Element | None) -> Party:
        if element is None:
            return Party()
        legal = _first(element, "SpecifiedLegalOrganization/ID")
        legal_id = _text_of(legal)
        legal_scheme = legal.get("schemeID", "") if legal is not None else ""
        global_ids = [(_text_of(node), node.get("schemeID", "")) for node in _children(element, "GlobalID")]
        siret = ""
        if legal_scheme == "0009" or (not legal_scheme and _digits(legal_id, 14)):
            siret = legal_id
        else:
            siret = next((value for value, scheme in global_ids if scheme == "0009"), "")
        siren = ""
        if legal_scheme == "0002" or (not legal_scheme and _digits(legal_id, 9)):
            siren = legal_id
        elif _digits(siret.replace(" ", ""), 14):
            siren = siret.replace(" ", "")[:9]
        vat_id = ""
        for registration in _all(element, "SpecifiedTaxRegistration/ID"):
            if registration.get("schemeID", "VA") == "VA":
                vat_id = _text_of(registration)
                break
        address = _first(element, "PostalTradeAddress")
        uri = _first(element, "URIUniversalCommunication/URIID")
        contact = _first(element, "DefinedTradeContact")
        return Party(
            name=self.text(element, "Name"),
            trading_name=self.text(element, "SpecifiedLegalOrganization/TradingBusinessName"),
            siret=siret,
            siren=siren,
            legal_id=legal_id,
            legal_id_scheme=legal_scheme,
            vat_id=vat_id,
            electronic_address=_text_of(uri),
            electronic_address_scheme=uri.get("schemeID", "") if uri is not None else "",
            address_lines=tuple(
                line for line in (self.text(address, name) for name in ("LineOne", "LineTwo", "LineThree")) if line
            ),
            postcode=self.text(address, "PostcodeCode"),
            city=self.text(address, "CityName"),
            country_subdivision=self.text(address, "CountrySubDivisionName"),
            country=self.text(address, "CountryID"),
            contact_name=self.text(contact, "PersonName") or self.text(contact, "DepartmentName"),
            contact_email=self.text(contact, "EmailURIUniversalCommunication/URIID"),
            contact_phone=self.text(contact, "TelephoneUniversalCommunication/CompleteNumber"),
        )

    def references(self, agreement: etree._Element | None, settlement: etree._Element | None) -> References:
        preceding = _first(settlement, "InvoiceReferencedDocument")
        return References(
            buyer_reference=self.text(agreement, "BuyerReference"),
            order_reference=self.text(agreement, "BuyerOrderReferencedDocument/IssuerAssignedID"),
            seller_order_reference=self.text(agreement, "SellerOrderReferencedDocument/IssuerAssignedID"),
            contract_reference=self.text(agreement, "ContractReferencedDocument/IssuerAssignedID"),
            project_reference=self.text(agreement, "SpecifiedProcuringProject/ID"),
            project_name=self.text(agreement, "SpecifiedProcuringProject/Name"),
            preceding_invoice=self.text(preceding, "IssuerAssignedID"),
            preceding_invoice_date=self.date(preceding, "FormattedIssueDateTime"),
            payment_reference=self.text(settlement, "PaymentReference"),
        )

    def line(self, item: etree._Element) -> InvoiceLine:
        document = _first(item, "AssociatedDocumentLineDocument")
        product = _first(item, "SpecifiedTradeProduct")
        agreement = _first(item, "SpecifiedLineTradeAgreement")
        quantity = _first(item, "SpecifiedLineTradeDelivery/BilledQuantity")
        settlement = _first(item, "SpecifiedLineTradeSettlement")
        tax = _first(settlement, "ApplicableTradeTax")
        return InvoiceLine(
            line_id=self.text(document, "LineID"),
            name=self.text(product, "Name"),
            description=self.text(product, "Description"),
            note="\n".join(filter(None, (self.text(content) for content in _all(document, "IncludedNote/Content")))),
            seller_item_id=self.text(product, "SellerAssignedID"),
            quantity=self._decimal(quantity, "BilledQuantity"),
            unit_code=quantity.get("unitCode", "") if quantity is not None else "",
            net_unit_price=self.amount(agreement, "NetPriceProductTradePrice/ChargeAmount"),
            price_basis_quantity=self.amount(agreement, "NetPriceProductTradePrice/BasisQuantity"),
            line_total=self.amount(settlement, "SpecifiedTradeSettlementLineMonetarySummation/LineTotalAmount"),
            vat_category=self.text(tax, "CategoryCode"),
            vat_rate=self.amount(tax, "RateApplicablePercent"),
            order_line_reference=self.text(agreement, "BuyerOrderReferencedDocument/LineID"),
        )

    def vat(self, tax: etree._Element) -> VatBreakdown:
        return VatBreakdown(
            category=self.text(tax, "CategoryCode"),
            rate=self.amount(tax, "RateApplicablePercent"),
            basis=self.amount(tax, "BasisAmount"),
            tax_amount=self.amount(tax, "CalculatedAmount"),
            exemption_reason=self.text(tax, "ExemptionReason"),
            exemption_reason_code=self.text(tax, "ExemptionReasonCode"),
        )

    def totals(self, settlement: etree._Element | None, currency: str) -> Totals:
        summation = _first(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
        if summation is None:
            if settlement is not None:
                self.errors.append(_("Totaux de la facture absents du XML."))
            return Totals()
        # The VAT total may be given twice: in the invoice currency and in the accounting currency.
        tax_totals = list(_children(summation, "TaxTotalAmount"))
        tax_node = next(
            (node for node in tax_totals if node.get("currencyID") == currency),
            next((node for node in tax_totals if not node.get("currencyID")), None)
            or (tax_totals[0] if tax_totals else None),
        )
        tax_total = self._decimal(tax_node, "TaxTotalAmount")
        return Totals(
            line_total=self.amount(summation, "LineTotalAmount"),
            allowance_total=self.amount(summation, "AllowanceTotalAmount"),
            charge_total=self.amount(summation, "ChargeTotalAmount"),
            tax_basis_total=self.amount(summation, "TaxBasisTotalAmount"),
            tax_total=tax_total,
            tax_total_currency=(tax_node.get("currencyID") or currency) if tax_node is not None else "",
            rounding=self.amount(summation, "RoundingAmount"),
            grand_total=self.amount(summation, "GrandTotalAmount"),
            prepaid=self.amount(summation, "TotalPrepaidAmount"),
            due_payable=self.amount(summation, "DuePayableAmount"),
        )

    def payment_terms(self, terms: etree._Element) -> PaymentTerms:
        return PaymentTerms(
            description=self.text(terms, "Description"),
            due_date=self.date(terms, "DueDateDateTime"),
            direct_debit_mandate=self.text(terms, "DirectDebitMandateID"),
        )

    def payment_means(self, means: etree._Element) -> PaymentMeans:
        account = _first(means, "PayeePartyCreditorFinancialAccount")
        return PaymentMeans(
            type_code=self.text(means, "TypeCode"),
            information=self.text(means, "Information"),
            iban=self.text(account, "IBANID").replace(" ", ""),
            account_id=self.text(account, "ProprietaryID"),
            account_name=self.text(account, "AccountName"),
            bic=self.text(means, "PayeeSpecifiedCreditorFinancialInstitution/BICID"),
        )

    def note(self, note: etree._Element) -> Note:
        return Note(
            content="\n".join(filter(None, (self.text(content) for content in _children(note, "Content")))),
            subject_code=self.text(note, "SubjectCode"),
        )

    def referenced_document(self, reference: etree._Element) -> Attachment:
        binary = _first(reference, "AttachmentBinaryObject")
        reference_id = self.text(reference, "IssuerAssignedID")
        name = binary.get("filename", "") if binary is not None else ""
        return Attachment(
            name=name or self.text(reference, "Name") or reference_id,
            size=_base64_size(binary.text) if binary is not None and binary.text else None,
            source="xml",
            mime_type=binary.get("mimeCode", "") if binary is not None else "",
            description=self.text(reference, "Name"),
            reference_id=reference_id,
            type_code=self.text(reference, "TypeCode"),
            uri=self.text(reference, "URIID"),
        )


def _digits(value: str, count: int) -> bool:
    return len(value) == count and value.isdigit()


def _base64_size(text: str) -> int | None:
    """Decoded size of a base64 text, without decoding it."""
    compact = "".join(text.split())
    if not compact or len(compact) % 4:
        return None
    try:
        base64.b64decode(compact[-4:], validate=True)
    except (binascii.Error, ValueError):
        return None
    return len(compact) // 4 * 3 - compact[-2:].count("=")


def _profile_from_guideline(urn: str) -> str:
    """Factur-X profile from the guideline URN (BT-24)."""
    value = urn.lower()
    if not value:
        return ""
    if "extended-ctc-fr" in value:
        return "extended-ctc-fr"
    for profile in ("extended", "basicwl", "minimum"):
        if profile in value:
            return profile
    if re.search(r"[:#]basic(\b|$)", value):
        return "basic"
    if "en16931" in value:  # plain EN 16931, and its CIUS (XRechnung, ...)
        return "en16931"
    return ""
