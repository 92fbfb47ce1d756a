"""Read the content of an invoice document received through Chorus Pro.

A received invoice comes with a document that is one of:

* a Factur-X PDF (PDF/A-3 with an embedded CII XML, usually ``factur-x.xml``);
* a bare CII XML (UN/CEFACT Cross Industry Invoice D16B, as used by Factur-X);
* a ZIP holding those, plus any attachments (delivery notes, reports, ...).

:func:`read_document` detects the kind from the magic bytes, finds the CII XML and
turns it into an immutable :class:`DocumentContent`. It never raises on a bad document:
whatever could not be read is described, in French, in ``DocumentContent.errors``.
:func:`compare_totals` checks the document's totals against the amounts Chorus Pro
reports for the invoice. ``DocumentContent.to_dict()`` / ``DocumentContent.from_dict()``
give a JSON-safe form to store in a ``JSONField``.

XML coming from outside is parsed with a hardened lxml parser: no entity resolution,
no DTD loading, no network, no huge trees (no XXE, no billion laughs).

Everything here is pure Python: no Django model, no HTTP. Only ``gettext`` is used
from Django, for the French messages.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from pathlib import Path, PurePosixPath
from types import UnionType
from typing import IO, Any, Union, get_args, get_origin, get_type_hints

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from facturx import get_xml_from_pdf
from lxml import etree
from pypdf import PdfReader

logger = logging.getLogger(__name__)

__all__ = [
    "AMOUNT_TOLERANCE",
    "Attachment",
    "DocumentContent",
    "DocumentKind",
    "InvoiceLine",
    "Mismatch",
    "Note",
    "Party",
    "PaymentMeans",
    "PaymentTerms",
    "References",
    "Totals",
    "VatBreakdown",
    "compare_totals",
    "read_document",
]

#: Largest XML read (a bare XML document, or an XML member of a ZIP).
MAX_XML_SIZE = 20 * 1024 * 1024
#: Largest PDF member of a ZIP loaded in memory to look for a Factur-X XML.
MAX_PDF_MEMBER_SIZE = 40 * 1024 * 1024
#: How many PDF members of a ZIP are opened, at most, to find the Factur-X one.
MAX_PDF_CANDIDATES = 10
#: Tolerance of :func:`compare_totals`.
AMOUNT_TOLERANCE = Decimal("0.01")
#: Version of the ``to_dict()`` layout, stored with it.
SCHEMA_VERSION = 1

#: Names of the Factur-X XML inside a PDF, by standard (Factur-X, ZUGFeRD 2, XRechnung).
_STANDARD_XML_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")
_HEAD_SIZE = 1024


class DocumentKind(StrEnum):
    """Kind of the document file, detected from its first bytes."""

    PDF = "pdf"
    XML = "xml"
    ZIP = "zip"
    UNKNOWN = "unknown"


#: UNTDID 1001 document type codes (BT-3) used in Factur-X / Chorus Pro.
TYPE_CODE_LABELS = {
    "380": gettext_lazy("Facture"),
    "381": gettext_lazy("Avoir"),
    "383": gettext_lazy("Note de débit"),
    "384": gettext_lazy("Facture rectificative"),
    "386": gettext_lazy("Facture d'acompte"),
    "389": gettext_lazy("Facture autofacturée"),
    "393": gettext_lazy("Facture affacturée"),
    "396": gettext_lazy("Avoir affacturé"),
    "261": gettext_lazy("Avoir autofacturé"),
    "262": gettext_lazy("Avoir global"),
    "751": gettext_lazy("Facture (information comptable)"),
}
#: Type codes of credit notes.
CREDIT_NOTE_TYPE_CODES = frozenset({"381", "261", "262", "396"})

PROFILE_LABELS = {
    "minimum": "MINIMUM",
    "basicwl": "BASIC WL",
    "basic": "BASIC",
    "en16931": "EN 16931",
    "extended": "EXTENDED",
    "extended-ctc-fr": "EXTENDED CTC FR",
}

#: VAT category codes (UNTDID 5305, BT-118).
VAT_CATEGORY_LABELS = {
    "S": gettext_lazy("Taux normal"),
    "Z": gettext_lazy("Taux zéro"),
    "E": gettext_lazy("Exonéré"),
    "AE": gettext_lazy("Autoliquidation"),
    "K": gettext_lazy("Livraison intracommunautaire"),
    "G": gettext_lazy("Exportation hors UE"),
    "O": gettext_lazy("Hors champ de la TVA"),
    "L": gettext_lazy("IGIC (Canaries)"),
    "M": gettext_lazy("IPSI (Ceuta et Melilla)"),
}

#: Payment means codes (UNTDID 4461, BT-81).
PAYMENT_MEANS_LABELS = {
    "1": gettext_lazy("Non défini"),
    "10": gettext_lazy("Espèces"),
    "20": gettext_lazy("Chèque"),
    "30": gettext_lazy("Virement"),
    "31": gettext_lazy("Débit"),
    "42": gettext_lazy("Paiement sur compte bancaire"),
    "48": gettext_lazy("Carte bancaire"),
    "49": gettext_lazy("Prélèvement"),
    "57": gettext_lazy("Accord permanent"),
    "58": gettext_lazy("Virement SEPA"),
    "59": gettext_lazy("Prélèvement SEPA"),
    "97": gettext_lazy("Compensation"),
    "ZZZ": gettext_lazy("Autre"),
}

#: Common UN/ECE rec. 20 unit codes (BT-130).
UNIT_LABELS = {
    "C62": gettext_lazy("unité"),
    "H87": gettext_lazy("pièce"),
    "EA": gettext_lazy("unité"),
    "XPP": gettext_lazy("pièce"),
    "HUR": gettext_lazy("heure"),
    "MIN": gettext_lazy("minute"),
    "DAY": gettext_lazy("jour"),
    "WEE": gettext_lazy("semaine"),
    "MON": gettext_lazy("mois"),
    "ANN": gettext_lazy("an"),
    "KGM": gettext_lazy("kg"),
    "TNE": gettext_lazy("tonne"),
    "LTR": gettext_lazy("litre"),
    "MTR": gettext_lazy("mètre"),
    "KMT": gettext_lazy("km"),
    "MTK": gettext_lazy("m²"),
    "MTQ": gettext_lazy("m³"),
    "KWH": gettext_lazy("kWh"),
    "LS": gettext_lazy("forfait"),
    "SET": pgettext_lazy("unité de mesure", "lot"),
}


# --------------------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class Party:
    """A seller or buyer (BG-4 / BG-7)."""

    name: str = ""
    trading_name: str = ""
    #: SIRET (14 digits), from the legal id or the global id with scheme 0009.
    siret: str = ""
    #: SIREN (9 digits), from the legal id (scheme 0002) or the SIRET.
    siren: str = ""
    #: Legal registration id (BT-30 / BT-47) as written, and its scheme (0009 SIRET, 0002 SIREN...).
    legal_id: str = ""
    legal_id_scheme: str = ""
    #: Intra-community VAT id (BT-31 / BT-48).
    vat_id: str = ""
    #: Electronic address (BT-34 / BT-49) and its scheme.
    electronic_address: str = ""
    electronic_address_scheme: str = ""
    address_lines: tuple[str, ...] = ()
    postcode: str = ""
    city: str = ""
    country_subdivision: str = ""
    #: ISO 3166-1 alpha-2 country code.
    country: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""

    @property
    def is_empty(self) -> bool:
        """True when nothing was read for this party."""
        return self == Party()

    @property
    def city_line(self) -> str:
        """« 69002 Lyon » (postcode and city)."""
        return " ".join(part for part in (self.postcode, self.city) if part)


@dataclass(frozen=True)
class References:
    """References of the invoice to the buyer's purchase."""

    #: Buyer reference (BT-10): the « code service » of the Chorus Pro structure.
    buyer_reference: str = ""
    #: Purchase order reference (BT-13): the Chorus Pro « numéro d'engagement ».
    order_reference: str = ""
    #: Seller order reference (BT-14).
    seller_order_reference: str = ""
    #: Contract reference (BT-12), the « numéro de marché ».
    contract_reference: str = ""
    #: Project reference and name (BT-11).
    project_reference: str = ""
    project_name: str = ""
    #: Preceding invoice (BT-25 / BT-26), for credit notes and corrective invoices.
    preceding_invoice: str = ""
    preceding_invoice_date: date | None = None
    #: Payment reference (BT-83).
    payment_reference: str = ""

    @property
    def service_code(self) -> str:
        """The Chorus Pro service code (carried by the buyer reference)."""
        return self.buyer_reference

    @property
    def engagement(self) -> str:
        """The Chorus Pro « numéro d'engagement » (carried by the order reference, BT-13)."""
        return self.order_reference


@dataclass(frozen=True)
class InvoiceLine:
    """An invoice line (BG-25)."""

    line_id: str = ""
    name: str = ""
    description: str = ""
    note: str = ""
    seller_item_id: str = ""
    quantity: Decimal | None = None
    unit_code: str = ""
    #: Net unit price (BT-146), for ``price_basis_quantity`` units when that is given (BT-149).
    net_unit_price: Decimal | None = None
    price_basis_quantity: Decimal | None = None
    #: Line net amount (BT-131).
    line_total: Decimal | None = None
    vat_category: str = ""
    vat_rate: Decimal | None = None
    order_line_reference: str = ""

    @property
    def unit_label(self) -> str:
        """French label of the unit code (the code itself when unknown)."""
        label = UNIT_LABELS.get(self.unit_code)
        return str(label) if label else self.unit_code


@dataclass(frozen=True)
class VatBreakdown:
    """A VAT breakdown (BG-23, ``ApplicableTradeTax`` of the header)."""

    category: str = ""
    rate: Decimal | None = None
    basis: Decimal | None = None
    tax_amount: Decimal | None = None
    exemption_reason: str = ""
    exemption_reason_code: str = ""

    @property
    def category_label(self) -> str:
        """French label of the VAT category."""
        label = VAT_CATEGORY_LABELS.get(self.category)
        return str(label) if label else self.category


@dataclass(frozen=True)
class Totals:
    """Document totals (BG-22, ``SpecifiedTradeSettlementHeaderMonetarySummation``)."""

    line_total: Decimal | None = None
    allowance_total: Decimal | None = None
    charge_total: Decimal | None = None
    #: Total without VAT (BT-109).
    tax_basis_total: Decimal | None = None
    #: Total VAT (BT-110) in the invoice currency, and that currency.
    tax_total: Decimal | None = None
    tax_total_currency: str = ""
    rounding: Decimal | None = None
    #: Total with VAT (BT-112).
    grand_total: Decimal | None = None
    prepaid: Decimal | None = None
    #: Amount due for payment (BT-115).
    due_payable: Decimal | None = None


@dataclass(frozen=True)
class PaymentTerms:
    """Payment terms (BT-20) and due date (BT-9)."""

    description: str = ""
    due_date: date | None = None
    direct_debit_mandate: str = ""


@dataclass(frozen=True)
class PaymentMeans:
    """A payment means (BG-16)."""

    type_code: str = ""
    information: str = ""
    iban: str = ""
    #: Account id when not an IBAN (BT-84).
    account_id: str = ""
    account_name: str = ""
    bic: str = ""

    @property
    def label(self) -> str:
        """French label of the payment means code."""
        label = PAYMENT_MEANS_LABELS.get(self.type_code)
        return str(label) if label else self.type_code


@dataclass(frozen=True)
class Note:
    """A document-level note (BG-1)."""

    content: str = ""
    subject_code: str = ""


@dataclass(frozen=True)
class Attachment:
    """A file accompanying the invoice.

    ``source`` says where it was found: ``"zip"`` (another member of the ZIP),
    ``"pdf"`` (a file embedded in the PDF besides the Factur-X XML) or ``"xml"``
    (an ``AdditionalReferencedDocument`` of the XML, embedded or by reference).
    """

    name: str
    size: int | None = None
    source: str = ""
    mime_type: str = ""
    description: str = ""
    #: For ``"xml"`` attachments: the document id (BT-122), type code and external URI.
    reference_id: str = ""
    type_code: str = ""
    uri: str = ""


@dataclass(frozen=True)
class DocumentContent:
    """Everything read from an invoice document. Amounts are ``Decimal``, dates ``date``."""

    kind: DocumentKind = DocumentKind.UNKNOWN
    #: Name of the document (``filename_hint``, or the path's name).
    filename: str = ""
    #: Name of the CII XML read: attachment name in the PDF, member name in the ZIP.
    xml_filename: str = ""
    #: Name of the Factur-X PDF member when the document is a ZIP.
    pdf_filename: str = ""
    #: Factur-X profile (minimum, basicwl, basic, en16931, extended, extended-ctc-fr) or "".
    profile: str = ""
    #: Guideline URN (BT-24) the profile comes from.
    guideline_id: str = ""
    #: Business process (BT-23), the Chorus Pro « cadre de facturation » (A1, A2, ...).
    business_process: str = ""
    invoice_number: str = ""
    type_code: str = ""
    issue_date: date | None = None
    currency: str = ""
    seller: Party = field(default_factory=Party)
    buyer: Party = field(default_factory=Party)
    references: References = field(default_factory=References)
    delivery_date: date | None = None
    billing_period_start: date | None = None
    billing_period_end: date | None = None
    lines: tuple[InvoiceLine, ...] = ()
    vat_breakdown: tuple[VatBreakdown, ...] = ()
    totals: Totals = field(default_factory=Totals)
    payment_terms: tuple[PaymentTerms, ...] = ()
    payment_means: tuple[PaymentMeans, ...] = ()
    notes: tuple[Note, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    #: French descriptions of everything that could not be read.
    errors: tuple[str, ...] = ()

    @property
    def has_invoice_data(self) -> bool:
        """True when a CII XML was found and read (even partially)."""
        return bool(
            self.xml_filename or self.invoice_number or self.guideline_id or self.lines or self.totals != Totals()
        )

    @property
    def type_label(self) -> str:
        """French label of the document type code (« Facture », « Avoir »...)."""
        label = TYPE_CODE_LABELS.get(self.type_code)
        if label:
            return str(label)
        return _("Type %(code)s") % {"code": self.type_code} if self.type_code else ""

    @property
    def is_credit_note(self) -> bool:
        """True for a credit note type code (381, 261, 262, 396)."""
        return self.type_code in CREDIT_NOTE_TYPE_CODES

    @property
    def profile_label(self) -> str:
        """Display name of the Factur-X profile."""
        return PROFILE_LABELS.get(self.profile, self.profile)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (Decimals as strings, dates in ISO format)."""
        data = _to_json(self)
        data["schema"] = SCHEMA_VERSION
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocumentContent:
        """Rebuild a content from :meth:`to_dict`'s output.

        Missing keys take their default value and unknown keys are ignored, so content
        stored by an older or newer version still loads. Raises ``ValueError`` when a
        value cannot be converted.
        """
        if not isinstance(data, dict):
            raise ValueError("DocumentContent.from_dict() expects a dict")
        try:
            return _from_json(cls, data)
        except (TypeError, ArithmeticError, KeyError) as exc:
            raise ValueError(f"Invalid DocumentContent data: {exc}") from exc


@dataclass(frozen=True)
class Mismatch:
    """A total of the document that differs from the amount Chorus Pro reports."""

    #: ``total_excl_tax``, ``total_incl_tax`` or ``vat_amount``.
    field: str
    #: French label of the amount (« Montant HT »...).
    label: str
    #: Value in the document (``None`` when the document does not give it).
    document_value: Decimal | None
    chorus_value: Decimal
    currency: str = ""

    @property
    def message(self) -> str:
        """Human-readable French description."""
        chorus = _format_amount(self.chorus_value, self.currency)
        if self.document_value is None:
            return _("%(label)s absent du document (Chorus Pro : %(chorus)s).") % {
                "label": self.label,
                "chorus": chorus,
            }
        return _("%(label)s : %(document)s dans le document, %(chorus)s dans Chorus Pro.") % {
            "label": self.label,
            "document": _format_amount(self.document_value, self.currency),
            "chorus": chorus,
        }

    def __str__(self) -> str:
        return self.message


# --------------------------------------------------------------------------- public API


def read_document(
    path_or_bytes: bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes],
    *,
    filename_hint: str = "",
) -> DocumentContent:
    """Read an invoice document (Factur-X PDF, CII XML or ZIP) and return its content.

    ``path_or_bytes`` is the document's content (bytes), a filesystem path (a ``str``
    is always a path), or a seekable binary file object read from its current position.
    ``filename_hint`` is the document's name, kept in ``DocumentContent.filename``.

    Never raises on a bad document: problems are listed in ``DocumentContent.errors``.
    Raises ``TypeError`` only when ``path_or_bytes`` has an unsupported type.
    """
    filename = filename_hint
    if not filename and isinstance(path_or_bytes, str | os.PathLike):
        filename = Path(path_or_bytes).name
    try:
        with _open_source(path_or_bytes) as stream:
            return _read_stream(stream, filename)
    except OSError as exc:
        logger.warning("Cannot open invoice document %r: %s", filename, exc)
        return DocumentContent(
            filename=filename,
            errors=(_("Impossible d'ouvrir le document : %(error)s") % {"error": exc.strerror or exc},),
        )


def compare_totals(
    content: DocumentContent,
    *,
    total_excl_tax: Decimal | str | int | None,
    total_incl_tax: Decimal | str | int | None,
    vat_amount: Decimal | str | int | None = None,
) -> list[Mismatch]:
    """Compare the document's totals with the amounts Chorus Pro reports for the invoice.

    Compares ``total_excl_tax`` with the tax basis total (BT-109, else the line total),
    ``total_incl_tax`` with the grand total (BT-112), and ``vat_amount`` (when given) with
    the VAT total (BT-110), with a tolerance of 0.01. A Chorus Pro amount given as
    ``None`` is not compared. For a credit note, amounts that only differ by their sign
    match (Chorus Pro and the documents do not always agree on the sign convention).

    Returns nothing when the document holds no invoice data (``content.errors`` already
    explains why); a total missing from an otherwise readable document is a mismatch.
    """
    if not content.has_invoice_data:
        return []
    totals = content.totals
    excl = totals.tax_basis_total if totals.tax_basis_total is not None else totals.line_total
    checks = (
        ("total_excl_tax", _("Montant HT"), excl, total_excl_tax),
        ("total_incl_tax", _("Montant TTC"), totals.grand_total, total_incl_tax),
        ("vat_amount", _("Montant de TVA"), totals.tax_total, vat_amount),
    )
    mismatches = []
    for name, label, document_value, chorus_raw in checks:
        if chorus_raw is None:
            continue
        chorus_value = chorus_raw if isinstance(chorus_raw, Decimal) else Decimal(str(chorus_raw))
        if document_value is not None and _amounts_match(
            document_value, chorus_value, allow_sign_flip=content.is_credit_note
        ):
            continue
        mismatches.append(
            Mismatch(
                field=name,
                label=label,
                document_value=document_value,
                chorus_value=chorus_value,
                currency=content.currency,
            )
        )
    return mismatches


# --------------------------------------------------------------------------- detection / sources


class _Source:
    """Wraps the caller's input as a seekable binary stream."""

    def __init__(self, stream: IO[bytes], *, close: bool) -> None:
        self.stream = stream
        self._close = close
        self._start = stream.tell()

    def __enter__(self) -> IO[bytes]:
        return self.stream

    def __exit__(self, *exc_info: object) -> None:
        if self._close:
            self.stream.close()
        else:
            try:
                self.stream.seek(self._start)
            except (OSError, ValueError):
                pass


def _open_source(source: object) -> _Source:
    """Open ``source`` (bytes, path or binary file) as a seekable stream."""
    if isinstance(source, bytes | bytearray | memoryview):
        return _Source(io.BytesIO(bytes(source)), close=True)
    if isinstance(source, str | os.PathLike):
        return _Source(open(source, "rb"), close=True)  # closed by _Source.__exit__
    if hasattr(source, "read") and hasattr(source, "seek"):
        return _Source(source, close=False)  # type: ignore[arg-type]
    raise TypeError(f"read_document() expects bytes, a path or a binary file, not {type(source).__name__}")


def _detect_kind(head: bytes) -> DocumentKind:
    """Detect the kind of a document from its first bytes."""
    if head.startswith(b"%PDF"):
        return DocumentKind.PDF
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return DocumentKind.ZIP
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 BOM: only XML is plausible
        return DocumentKind.XML
    if head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<"):
        return DocumentKind.XML
    if b"%PDF-" in head:  # PDF readers accept some garbage before the header
        return DocumentKind.PDF
    return DocumentKind.UNKNOWN


def _read_stream(stream: IO[bytes], filename: str) -> DocumentContent:
    start = stream.tell()
    head = stream.read(_HEAD_SIZE)
    stream.seek(start)
    kind = _detect_kind(head)
    if not head:
        return DocumentContent(kind=kind, filename=filename, errors=(_("Le document est vide."),))
    if kind is DocumentKind.PDF:
        builder = _read_pdf(stream)
    elif kind is DocumentKind.XML:
        builder = _read_xml_stream(stream)
    elif kind is DocumentKind.ZIP:
        builder = _read_zip(stream)
    else:
        builder = _Builder()
        builder.errors.append(_("Format de document non reconnu : ce n'est ni un PDF, ni un XML, ni un ZIP."))
    return builder.build(kind=kind, filename=filename)


class _Builder:
    """Accumulates what the readers find, then builds the DocumentContent."""

    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}
        self.attachments: list[Attachment] = []
        self.errors: list[str] = []
        self.xml_filename = ""
        self.pdf_filename = ""

    def read_cii(self, xml: bytes, xml_filename: str) -> bool:
        """Parse a CII XML into the fields; False (with an error) when it is not one."""
        root = _parse_xml(xml, self.errors)
        if root is None:
            return False
        return self.read_cii_root(root, xml_filename)

    def read_cii_root(self, root: etree._Element, xml_filename: str) -> bool:
        """Read an already parsed XML; False (with an error) when it is not a CII invoice."""
        if not _is_cii(root):
            self.errors.append(
                _("Ce XML n'est pas une facture CII (Factur-X) : élément racine « %(root)s ».")
                % {"root": _local(root.tag)}
            )
            return False
        reader = _CiiReader(root)
        self.fields.update(reader.read())
        self.attachments.extend(reader.attachments)
        self.errors.extend(reader.errors)
        self.xml_filename = xml_filename
        return True

    def build(self, *, kind: DocumentKind, filename: str) -> DocumentContent:
        return DocumentContent(
            kind=kind,
            filename=filename,
            xml_filename=self.xml_filename,
            pdf_filename=self.pdf_filename,
            attachments=tuple(self.attachments),
            errors=tuple(dict.fromkeys(self.errors)),
            **self.fields,
        )


# --------------------------------------------------------------------------- XML


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


def _parse_xml(xml: bytes, errors: list[str]) -> etree._Element | None:
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


def _read_xml_stream(stream: IO[bytes]) -> _Builder:
    builder = _Builder()
    data = stream.read(MAX_XML_SIZE + 1)
    if len(data) > MAX_XML_SIZE:
        builder.errors.append(_("XML trop volumineux pour être analysé."))
        return builder
    builder.read_cii(data, "")
    return builder


def _is_cii(root: etree._Element) -> bool:
    return _local(root.tag) == "CrossIndustryInvoice"


def _local(tag: object) -> str:
    """Local name of an element tag, without its namespace ("" for comments, PIs, entities)."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def _children(element: etree._Element | None, name: str) -> Iterator[etree._Element]:
    if element is None:
        return
    for child in element:
        if _local(child.tag) == name:
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


class _CiiReader:
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
            (child for child in container if _local(child.tag) == "DateTimeString"),
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


# --------------------------------------------------------------------------- PDF


def _read_pdf(stream: IO[bytes]) -> _Builder:
    """Read a Factur-X PDF: embedded CII XML, and the other embedded files as attachments."""
    builder = _Builder()
    if not isinstance(stream, io.IOBase):  # factur-x only accepts bytes or real file objects
        stream = io.BytesIO(stream.read())
    start = stream.tell()
    embedded: list[tuple[str, int | None, str, str]] = []
    try:
        reader = PdfReader(stream)
        if reader.is_encrypted:  # forbidden by PDF/A, hence by Factur-X
            builder.errors.append(_("Ce PDF est chiffré : son XML Factur-X ne peut pas être lu."))
            return builder
        for entry in reader.attachment_list:
            size = entry.size
            embedded.append(
                (
                    str(entry.name),
                    int(size) if size is not None else None,
                    (entry.subtype or "").lstrip("/").replace("#2F", "/"),
                    entry.description or "",
                )
            )
    except Exception as exc:  # pypdf raises many kinds of errors on broken PDFs
        logger.info("Unreadable PDF: %s", exc)
        builder.errors.append(_("PDF illisible : %(error)s") % {"error": exc})
        return builder
    names = [name.lower() for name, *_rest in embedded]
    standard = [name for name in _STANDARD_XML_NAMES if name in names]
    stream.seek(start)
    try:
        xml_filename, xml_bytes = get_xml_from_pdf(stream, check_xsd=False, filenames=standard or ["*.xml"])
    except Exception as exc:  # factur-x lets pypdf/lxml errors through
        logger.info("Cannot extract the XML of a PDF: %s", exc)
        builder.errors.append(_("PDF illisible : %(error)s") % {"error": exc})
        return builder
    if xml_filename and xml_bytes:
        builder.read_cii(xml_bytes, str(xml_filename))
    else:
        builder.errors.append(_("Ce PDF ne contient pas de XML Factur-X."))
    for name, size, mime_type, description in embedded:
        if xml_filename and name == xml_filename:
            continue
        builder.attachments.append(
            Attachment(name=name, size=size, source="pdf", mime_type=mime_type, description=description)
        )
    return builder


# --------------------------------------------------------------------------- ZIP


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes | None:
    """Read a ZIP member, refusing (None) members larger than ``limit`` even if their header lies."""
    with archive.open(info) as member:
        data = member.read(limit + 1)
    return None if len(data) > limit else data


def _read_zip(stream: IO[bytes]) -> _Builder:
    """Read a ZIP: the invoice's Factur-X PDF and/or CII XML, the other members as attachments."""
    builder = _Builder()
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        builder.errors.append(_("Archive ZIP illisible : %(error)s") % {"error": exc})
        return builder
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        invoice_members: set[str] = set()
        # Members skipped while looking for the invoice: only worth reporting if it is not found.
        skipped: list[str] = []

        # 1. CII XML members (small, cheap): the first one is the invoice's XML.
        cii_member: tuple[zipfile.ZipInfo, etree._Element] | None = None
        for info in members:
            if not info.filename.lower().endswith(".xml") or cii_member is not None:
                continue
            data = _safe_read_member(archive, info, MAX_XML_SIZE, skipped)
            if data is None:
                continue
            root = _parse_xml(data, [])
            if root is not None and _is_cii(root):
                cii_member = (info, root)

        # 2. PDF members: the first Factur-X one, trying the likeliest names first.
        xml_stem = PurePosixPath(cii_member[0].filename).stem.lower() if cii_member else ""
        pdf_members = sorted(
            (info for info in members if info.filename.lower().endswith(".pdf")),
            key=lambda info: _pdf_priority(info, xml_stem),
        )
        pdf_builder: _Builder | None = None
        for info in pdf_members[:MAX_PDF_CANDIDATES]:
            data = _safe_read_member(archive, info, MAX_PDF_MEMBER_SIZE, skipped)
            if data is None or _detect_kind(data[:_HEAD_SIZE]) is not DocumentKind.PDF:
                continue
            candidate = _read_pdf(io.BytesIO(data))
            if candidate.xml_filename:
                pdf_builder = candidate
                builder.pdf_filename = info.filename
                invoice_members.add(info.filename)
                break

        if pdf_builder is not None:
            builder.fields = pdf_builder.fields
            builder.xml_filename = pdf_builder.xml_filename
            builder.attachments.extend(pdf_builder.attachments)
            builder.errors.extend(pdf_builder.errors)
            if cii_member is not None:
                invoice_members.add(cii_member[0].filename)
        elif cii_member is not None:
            builder.read_cii_root(cii_member[1], cii_member[0].filename)
            invoice_members.add(cii_member[0].filename)
        else:
            builder.errors.append(_("Cette archive ZIP ne contient ni PDF Factur-X ni XML CII."))
            builder.errors.extend(skipped)

        zip_attachments = [
            Attachment(name=info.filename, size=info.file_size, source="zip")
            for info in members
            if info.filename not in invoice_members
        ]
        builder.attachments[:0] = zip_attachments
    return builder


def _safe_read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, errors: list[str]) -> bytes | None:
    """Read a small ZIP member; None (with an error when useful) if too large or unreadable."""
    if info.file_size > limit:
        errors.append(
            _("Fichier %(name)s trop volumineux pour être analysé (%(size)s octets).")
            % {"name": info.filename, "size": info.file_size}
        )
        return None
    try:
        data = _read_member(archive, info, limit)
    except (RuntimeError, zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as exc:
        # RuntimeError: encrypted member; NotImplementedError: unsupported compression.
        errors.append(_("Fichier %(name)s illisible : %(error)s") % {"name": info.filename, "error": exc})
        return None
    if data is None:
        errors.append(
            _("Fichier %(name)s trop volumineux pour être analysé.") % {"name": info.filename},
        )
    return data


def _pdf_priority(info: zipfile.ZipInfo, xml_stem: str) -> tuple[int, int]:
    """Sort key of PDF members: same name as the CII XML, then invoice-like names, then small."""
    stem = PurePosixPath(info.filename).stem.lower()
    if xml_stem and stem == xml_stem:
        rank = 0
    elif any(word in stem for word in ("factur", "invoice", "avoir")):
        rank = 1
    else:
        rank = 2
    return rank, info.file_size


# --------------------------------------------------------------------------- comparison / JSON


def _amounts_match(document: Decimal, chorus: Decimal, *, allow_sign_flip: bool) -> bool:
    if abs(document - chorus) <= AMOUNT_TOLERANCE:
        return True
    return allow_sign_flip and abs(abs(document) - abs(chorus)) <= AMOUNT_TOLERANCE


def _format_amount(value: Decimal, currency: str = "") -> str:
    """French amount: « 1 234,56 € »."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        value = value.quantize(Decimal("0.01"))
    text = f"{value:,f}".replace(",", "\u202f").replace(".", ",")
    symbol = "€" if currency in ("", "EUR") else currency
    return f"{text}\u00a0{symbol}"


def _to_json(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {item.name: _to_json(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_to_json(item) for item in value]
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def _from_json(annotation: Any, data: Any) -> Any:
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        if data is None:
            return None
        (inner,) = [arg for arg in get_args(annotation) if arg is not type(None)]
        return _from_json(inner, data)
    if origin is tuple:
        inner = get_args(annotation)[0]
        return tuple(_from_json(inner, item) for item in data or ())
    if isinstance(annotation, type) and is_dataclass(annotation):
        if not isinstance(data, dict):
            raise TypeError(f"{annotation.__name__} expects a dict")
        hints = _hints(annotation)
        return annotation(
            **{
                item.name: _from_json(hints[item.name], data[item.name])
                for item in fields(annotation)
                if item.name in data
            }
        )
    if annotation is Decimal:
        return Decimal(str(data))
    if annotation is date:
        return date.fromisoformat(data)
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        try:
            return annotation(data)
        except ValueError:
            return DocumentKind.UNKNOWN if annotation is DocumentKind else data
    if annotation is int:
        return int(data)
    if annotation is str:
        return "" if data is None else str(data)
    return data
