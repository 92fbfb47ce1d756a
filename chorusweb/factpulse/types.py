"""Typed answers of the gateway: frozen dataclasses, one per kind of answer.

Every value read from upstream is typed here: amounts are `Decimal`, dates `datetime.date`,
timestamps aware `datetime.datetime`, status codes plain strings kept as received (an unknown
code is not an error). Rows keep `raw`, the row as received, so that a page can show fields
this module does not know about. The readers that build these values live in the API domain
modules (`received.py`, `validator.py`, `supplier.py`, `structures.py`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any

from chorusweb import lifecycle

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class Page[T]:
    """One page of a search. `page` is 1-based; an empty result is a page with no items."""

    items: tuple[T, ...]
    page: int = 1
    pages: int = 0
    page_size: int = 0
    total: int = 0

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


# --- Searches ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedInvoiceRow:
    """One row of `rechercher-destinataire` (native `FactureRechercheRecipiendaire`)."""

    invoice_id: int  # idFacture
    invoice_number: str = ""  # numeroFacture
    invoice_type: str = ""  # typeFacture: FACTURE, AVOIR, ACOMPTE
    payment_request_type: str = ""  # typeDemandePaiement
    works_invoice_type: str = ""  # typeFactureTravaux
    status: str = ""  # statut (kept as received when unknown)
    status_changed_at: datetime | None = None  # dateHeureEtatCourant
    status_comment: str = ""  # commentaireEtatCourant
    invoice_date: date | None = None  # dateFacture
    deposit_date: date | None = None  # dateDepot
    total_excl_tax: Decimal | None = None  # montantHT
    total_incl_tax: Decimal | None = None  # montantTTC
    amount_due: Decimal | None = None  # montantAPayer
    currency: str = ""  # devise
    supplier_code: str = ""  # codeFournisseur (SIRET or other identifier)
    supplier_id_type: str = ""  # typeIdentifiantFournisseur
    supplier_name: str = ""  # designationFournisseur
    supplier_service_code: str = ""  # codeServiceFournisseur
    supplier_service_name: str = ""  # nomServiceFournisseur
    recipient_id: int | None = None  # idDestinataire
    recipient_code: str = ""  # codeDestinataire
    recipient_name: str = ""  # designationDestinataire
    service_id: int | None = None  # idServiceExecutant
    service_code: str = ""  # codeServiceExecutant
    service_name: str = ""  # nomServiceExecutant
    contract_number: str = ""  # numeroMarche
    purchase_order_number: str = ""  # numeroBonCommande
    downloaded: bool = False  # factureTelechargeeParDestinataire
    size: int | None = None  # taille
    moe_code: str = ""  # codeMOE
    moe_id_type: str = ""  # typeIdentifiantMOE
    moe_name: str = ""  # designationMOE
    moa_code: str = ""  # codeMOA
    moa_id_type: str = ""  # typeIdentifiantMOA
    moa_name: str = ""  # designationMOA
    raw: Mapping[str, Any] = field(default=_EMPTY, compare=False, repr=False)

    @property
    def status_label(self) -> str:
        return lifecycle.status_label(self.status)


@dataclass(frozen=True)
class ValidatorInvoiceRow:
    """One row of `valideur/rechercher` (native `FactureRechercheValideur`)."""

    invoice_id: int  # idFacture
    invoice_number: str = ""
    invoice_type: str = ""  # typeFacture
    payment_request_type: str = ""  # typeDemandePaiement
    works_invoice_type: str = ""  # typeFactureTravaux
    framework: str = ""  # cadreDeFacturation / cadreFacturation (code)
    status: str = ""  # statut
    status_changed_at: datetime | None = None  # dateHeureEtatCourant, when sent
    invoice_date: date | None = None
    deposit_date: date | None = None  # dateDepot: starts the 15-day clock
    total_excl_tax: Decimal | None = None
    total_incl_tax: Decimal | None = None
    amount_due: Decimal | None = None
    currency: str = ""
    supplier_id: int | None = None  # idFournisseur
    supplier_code: str = ""  # identifiantFournisseur (or codeFournisseur)
    supplier_id_type: str = ""
    supplier_name: str = ""
    supplier_service_code: str = ""
    supplier_service_name: str = ""
    recipient_id: int | None = None  # idDestinataire
    recipient_code: str = ""  # identifiantDestinataire
    recipient_id_type: str = ""
    recipient_name: str = ""
    service_id: int | None = None  # idServiceExecutant
    service_code: str = ""
    service_name: str = ""
    validator_id: int | None = None  # idValideur
    validator_code: str = ""  # identifiantValideur
    validator_id_type: str = ""
    validator_name: str = ""  # designationValideur
    moe_id: int | None = None
    moe_code: str = ""
    moe_name: str = ""
    moa_id: int | None = None
    moa_code: str = ""
    moa_name: str = ""
    contract_number: str = ""  # numeroMarche
    engagement_number: str = ""  # numeroEngagement
    raw: Mapping[str, Any] = field(default=_EMPTY, compare=False, repr=False)

    @property
    def status_label(self) -> str:
        return lifecycle.status_label(self.status)

    @property
    def validation_deadline(self) -> date | None:
        """Last day on which the validator can act (deposit + 15 days); None without a date."""
        if self.deposit_date is None:
            return None
        return lifecycle.validation_deadline(self.deposit_date)


@dataclass(frozen=True)
class SupplierInvoiceRow:
    """One row of `rechercher-fournisseur` (items keyed `identifiantFactureCPP`)."""

    invoice_id: int  # identifiantFactureCPP
    invoice_number: str = ""
    invoice_type: str = ""
    framework: str = ""  # cadreFacturation
    status: str = ""
    status_changed_at: datetime | None = None
    status_comment: str = ""
    invoice_date: date | None = None
    deposit_date: date | None = None
    deposit_flow_number: str = ""  # numeroFluxDepot
    deposit_mode: str = ""  # modeDepot
    total_excl_tax: Decimal | None = None
    total_incl_tax: Decimal | None = None
    amount_due: Decimal | None = None
    currency: str = ""
    recipient_id: int | None = None
    recipient_code: str = ""
    recipient_name: str = ""
    service_code: str = ""
    service_name: str = ""
    contract_number: str = ""
    purchase_order_number: str = ""
    rejection_handled: bool | None = None  # rejetTraite
    raw: Mapping[str, Any] = field(default=_EMPTY, compare=False, repr=False)

    @property
    def status_label(self) -> str:
        return lifecycle.status_label(self.status)


# --- Typed FactPulse endpoints -------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceStatus:
    code: str
    label: str = ""
    date: datetime | None = None


@dataclass(frozen=True)
class InvoiceSummary:
    """`factures/consulter` (typed `GetInvoiceResponse`)."""

    invoice_id: int | None
    invoice_number: str = ""
    invoice_date: date | None = None
    total_incl_tax: Decimal | None = None
    status: InvoiceStatus | None = None
    recipient_structure_id: int | None = None
    recipient_structure_name: str = ""
    message: str = ""
    raw: Mapping[str, Any] = field(default=_EMPTY, compare=False, repr=False)


@dataclass(frozen=True)
class SubmissionResult:
    """`factures/soumettre` (typed `SubmitInvoiceResponse`)."""

    invoice_id: int | None
    deposit_flow_number: str = ""
    message: str = ""
    raw: Mapping[str, Any] = field(default=_EMPTY, compare=False, repr=False)


@dataclass(frozen=True)
class Structure:
    """One structure found by `structures/rechercher`."""

    structure_id: int
    identifier: str = ""
    name: str = ""
    identifier_type: str = ""
    status: str = ""  # ACTIVE / INACTIVE


@dataclass(frozen=True)
class StructureDetail:
    """`structures/consulter` (typed `GetStructureResponse`)."""

    structure_id: int | None
    identifier: str = ""
    label: str = ""
    company_name: str = ""
    vat_number: str = ""
    email: str = ""
    service_code_required: bool = False
    engagement_number_required: bool = False
    engagement_or_service_management: bool = False
    message: str = ""
    raw: Mapping[str, Any] = field(default=_EMPTY, compare=False, repr=False)


@dataclass(frozen=True)
class Service:
    """One service of a structure (`structures/{id}/services`)."""

    service_id: int | None
    code: str = ""
    label: str = ""
    active: bool = True


@dataclass(frozen=True)
class StructureLookup:
    """`structures/obtenir-id-depuis-siret`: `structure_id` is None when none or several match."""

    structure_id: int | None
    identifier: str = ""
    name: str = ""
    message: str = ""

    @property
    def found(self) -> bool:
        return self.structure_id is not None


# --- Write results -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessingResult:
    """`factures/traiter-facture-recue`."""

    invoice_id: int | None
    invoice_number: str = ""
    new_status: str = ""
    processed_at: datetime | None = None  # dateTraitement
    message: str = ""  # libelle
    raw: Mapping[str, Any] = field(default=_EMPTY, compare=False, repr=False)


@dataclass(frozen=True)
class ValidationResult:
    """`factures/valideur/traiter`."""

    invoice_id: int | None
    invoice_number: str = ""
    status: str = ""  # statutFacture
    processed_at: datetime | None = None
    message: str = ""
    raw: Mapping[str, Any] = field(default=_EMPTY, compare=False, repr=False)


@dataclass(frozen=True)
class CompletionResult:
    """`factures/completer`."""

    invoice_id: int | None
    invoice_number: str = ""
    processed_at: datetime | None = None
    message: str = ""
    raw: Mapping[str, Any] = field(default=_EMPTY, compare=False, repr=False)


@dataclass(frozen=True)
class RecycleResult:
    """`factures/recycler`."""

    invoice_id: int | None
    invoice_number: str = ""
    status: str = ""  # statutFacture
    deposited_at: datetime | None = None  # dateDepot
    message: str = ""
    raw: Mapping[str, Any] = field(default=_EMPTY, compare=False, repr=False)


@dataclass(frozen=True)
class UploadedFile:
    """`transverses/ajouter-fichier`: the id to use in `completer` or `soumettre`."""

    attachment_id: int
    message: str = ""
    raw: Mapping[str, Any] = field(default=_EMPTY, compare=False, repr=False)


@dataclass(frozen=True)
class AttachmentRef:
    """An attachment to join to `completer`: the uploaded file id and its name."""

    attachment_id: int
    name: str


# --- Validator detail ----------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """A supplier or recipient in an invoice detail."""

    id: int | None = None
    code: str = ""  # SIRET or other identifier
    id_type: str = ""
    name: str = ""
    service_id: int | None = None
    service_code: str = ""
    service_name: str = ""
    address: str = ""
    raw: Mapping[str, Any] = field(default=_EMPTY, compare=False, repr=False)


@dataclass(frozen=True)
class ValidationStep:
    """A validator named in `cadreDeFacturation` (level 1 or 2)."""

    level: int
    validator_id: int | None = None
    code: str = ""
    name: str = ""
    validated_on: date | None = None


@dataclass(frozen=True)
class InvoiceLine:
    number: int | None = None
    reference: str = ""
    description: str = ""
    quantity: Decimal | None = None
    unit: str = ""
    unit_price: Decimal | None = None
    discount: Decimal | None = None
    vat_rate: Decimal | None = None
    net_amount: Decimal | None = None
    vat_amount: Decimal | None = None
    gross_amount: Decimal | None = None


@dataclass(frozen=True)
class VatLine:
    rate_code: str = ""
    rate_label: str = ""
    rate: Decimal | None = None
    base_amount: Decimal | None = None
    vat_amount: Decimal | None = None


@dataclass(frozen=True)
class Attachment:
    attachment_id: int | None = None
    link_id: int | None = None
    type_code: str = ""
    type_label: str = ""
    name: str = ""
    extension: str = ""
    line_number: int | None = None


@dataclass(frozen=True)
class InvoiceTotals:
    total_excl_tax: Decimal | None = None  # montantHtTotal
    vat_amount: Decimal | None = None  # montantTVA
    total_incl_tax: Decimal | None = None  # montantTtcTotal
    amount_due: Decimal | None = None  # montantAPayer
    global_discount: Decimal | None = None  # montantRemiseGlobaleTTC


@dataclass(frozen=True)
class ValidatorInvoiceDetail:
    """`factures/valideur/consulter`: the native invoice detail (possibly wrapped in `facture`)."""

    invoice_id: int
    invoice_number: str = ""
    status: str = ""
    framework: str = ""  # cadreDeFacturation.codeCadreFacturation
    deposit_mode: str = ""
    comment: str = ""
    invoice_type: str = ""
    invoice_date: date | None = None
    deposit_date: date | None = None
    payment_due_date: date | None = None
    currency: str = ""
    contract_number: str = ""
    purchase_order_number: str = ""
    vat_type: str = ""
    payment_mode: str = ""
    supplier: Party = field(default_factory=Party)
    recipient: Party = field(default_factory=Party)
    validators: tuple[ValidationStep, ...] = ()
    totals: InvoiceTotals = field(default_factory=InvoiceTotals)
    vat_summary: tuple[VatLine, ...] = ()
    lines: tuple[InvoiceLine, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    main_attachment_id: int | None = None
    raw: Mapping[str, Any] = field(default=_EMPTY, compare=False, repr=False)

    @property
    def status_label(self) -> str:
        return lifecycle.status_label(self.status)

    @property
    def validation_deadline(self) -> date | None:
        if self.deposit_date is None:
            return None
        return lifecycle.validation_deadline(self.deposit_date)


# --- Downloads -----------------------------------------------------------------------------

DOCUMENT_EXTENSIONS = {"pdf": ".pdf", "xml": ".xml", "zip": ".zip", "unknown": ".bin"}
DOCUMENT_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xml": "application/xml",
    "zip": "application/zip",
    "unknown": "application/octet-stream",
}


@dataclass(frozen=True)
class DownloadedDocument:
    """A file from `telecharger-groupe`, decoded to a temporary file that the caller owns.

    Use it as a context manager (or call `cleanup()`) to delete the file::

        with client.telecharger_groupe_factures(invoice_ids=[1, 2]) as doc:
            response = FileResponse(doc.open(), filename=doc.filename)

    `kind` comes from the file's first bytes (`%PDF`, `<?xml`/`<`, `PK`), never from the
    format asked for.
    """

    path: Path
    kind: str  # "pdf" | "xml" | "zip" | "unknown"
    size: int
    requested_format: str = ""
    invoice_ids: tuple[int, ...] = ()
    message: str = ""

    @property
    def content_type(self) -> str:
        return DOCUMENT_CONTENT_TYPES.get(self.kind, DOCUMENT_CONTENT_TYPES["unknown"])

    @property
    def filename(self) -> str:
        """A name to offer to the browser: `facture-<id>.pdf`, `factures-<n>.zip`, ..."""
        ext = DOCUMENT_EXTENSIONS.get(self.kind, ".bin")
        if len(self.invoice_ids) == 1:
            return f"facture-{self.invoice_ids[0]}{ext}"
        return f"factures-{len(self.invoice_ids)}{ext}"

    def open(self) -> IO[bytes]:
        return open(self.path, "rb")  # the caller closes it

    def read_bytes(self) -> bytes:
        """The whole file in memory: only for small documents (tests, previews)."""
        return Path(self.path).read_bytes()

    def cleanup(self) -> None:
        """Delete the temporary file (idempotent)."""
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    close = cleanup

    def __enter__(self) -> DownloadedDocument:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cleanup()
