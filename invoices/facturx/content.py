"""The content model of an invoice document: what was read, and how it compares with Chorus Pro.

`DocumentContent` is immutable; `to_dict()` / `from_dict()` give a JSON-safe form to store in a
`JSONField`. `compare_totals()` checks the document's totals against the amounts Chorus Pro
reports for the invoice. Pure Python: no Django model, no HTTP; only `gettext` from Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cache
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from chorusweb.money import format_money

#: Tolerance of :func:`compare_totals`.
AMOUNT_TOLERANCE = Decimal("0.01")
#: Version of the ``to_dict()`` layout, stored with it.
SCHEMA_VERSION = 1


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

    @property
    def downloadable(self) -> bool:
        """Its content is in the document (a ZIP member, a file in the PDF, base64 in the XML)."""
        return self.source in ("zip", "pdf") or (self.source == "xml" and self.size is not None)


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
    #: French descriptions of the totals that differ from Chorus Pro's (see `compare_totals`).
    mismatches: tuple[str, ...] = ()

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
        chorus = format_money(self.chorus_value, self.currency)
        if self.document_value is None:
            return _("%(label)s absent du document (Chorus Pro : %(chorus)s).") % {
                "label": self.label,
                "chorus": chorus,
            }
        return _("%(label)s : %(document)s dans le document, %(chorus)s dans Chorus Pro.") % {
            "label": self.label,
            "document": format_money(self.document_value, self.currency),
            "chorus": chorus,
        }

    def __str__(self) -> str:
        return self.message


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


# --------------------------------------------------------------------------- comparison / JSON


def _amounts_match(document: Decimal, chorus: Decimal, *, allow_sign_flip: bool) -> bool:
    if abs(document - chorus) <= AMOUNT_TOLERANCE:
        return True
    return allow_sign_flip and abs(abs(document) - abs(chorus)) <= AMOUNT_TOLERANCE


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
