"""The public entity as a supplier: issued invoices, submission, completion, re-routing, files.

Endpoints `factures/rechercher-fournisseur`, `factures/consulter`, `factures/soumettre`,
`factures/completer`, `factures/recycler` and `transverses/ajouter-fichier`: their request
builders and answer readers, side by side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from chorusweb import lifecycle
from chorusweb.factpulse import types as t
from chorusweb.factpulse.coerce import compact, format_amount, format_date, frozen, pick, to_str
from chorusweb.factpulse.coerce import pick_bool as _b
from chorusweb.factpulse.coerce import pick_date as _date
from chorusweb.factpulse.coerce import pick_datetime as _dt
from chorusweb.factpulse.coerce import pick_decimal as _d
from chorusweb.factpulse.coerce import pick_int as _i
from chorusweb.factpulse.coerce import pick_status as _status
from chorusweb.factpulse.coerce import pick_str as _s
from chorusweb.factpulse.envelope import (
    EMPTY_SEARCH_CODE,
    Endpoint,
    InvoiceSearch,
    message_of,
    read_framework,
    read_page,
    require_id,
    require_mapping,
)
from chorusweb.factpulse.errors import FactPulseMalformed

MAX_ATTACHMENT_NAME = 50
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


# --- factures/rechercher-fournisseur -------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SupplierSearch(InvoiceSearch):
    """The filters of the issued invoices' search."""

    paging_key = "rechercheFactureParFournisseur"

    recipient_id: int | None = None
    deposit_flow_number: str | None = None

    def filters(self) -> dict[str, Any]:
        return {
            "listeDestinataire": [{"idDestinataire": self.recipient_id}] if self.recipient_id else None,
            "numeroFluxDepot": self.deposit_flow_number,
        }


def read_supplier_row(row: Mapping[str, Any], endpoint: str = "rechercher-fournisseur") -> t.SupplierInvoiceRow:
    return t.SupplierInvoiceRow(
        invoice_id=require_id(row, endpoint, "identifiantFactureCPP", "idFacture"),
        invoice_number=_s(row, "numeroFacture"),
        invoice_type=_s(row, "typeFacture"),
        framework=read_framework(row),
        status=_status(row, "statut", "statutFacture", "statutCourant"),
        status_changed_at=_dt(row, "dateHeureEtatCourant"),
        status_comment=_s(row, "commentaireEtatCourant"),
        invoice_date=_date(row, "dateFacture"),
        deposit_date=_date(row, "dateDepot"),
        deposit_flow_number=_s(row, "numeroFluxDepot"),
        deposit_mode=_s(row, "modeDepot"),
        total_excl_tax=_d(row, "montantHT"),
        total_incl_tax=_d(row, "montantTTC"),
        amount_due=_d(row, "montantAPayer", "montantApayer"),
        currency=_s(row, "devise"),
        recipient_id=_i(row, "idDestinataire"),
        recipient_code=_s(row, "codeDestinataire", "identifiantDestinataire"),
        recipient_name=_s(row, "designationDestinataire"),
        service_code=_s(row, "codeServiceExecutant"),
        service_name=_s(row, "nomServiceExecutant"),
        contract_number=_s(row, "numeroMarche"),
        purchase_order_number=_s(row, "numeroBonCommande"),
        rejection_handled=_b(row, "rejetTraite"),
        raw=frozen(row),
    )


def read_supplier_search(body: Any, *, page: int = 1, page_size: int = 0) -> t.Page[t.SupplierInvoiceRow]:
    return read_page(
        body, "factures/rechercher-fournisseur", read_supplier_row, requested_page=page, page_size=page_size
    )


# --- factures/consulter --------------------------------------------------------------------


def build_invoice_consult(*, invoice_id: int) -> dict[str, Any]:
    return {"chorusInvoiceId": int(invoice_id)}


def read_invoice(body: Any) -> t.InvoiceSummary:
    data = require_mapping(body, "factures/consulter")
    status_obj = pick(data, ("currentStatus", "statut_courant", "statutCourant"))
    status: t.InvoiceStatus | None = None
    if isinstance(status_obj, Mapping):
        code = _status(status_obj, "code")
        if code:
            status = t.InvoiceStatus(code=code, label=_s(status_obj, "label", "libelle"), date=_dt(status_obj, "date"))
    elif status_obj:
        status = t.InvoiceStatus(code=lifecycle.normalise_status(to_str(status_obj)))
    return t.InvoiceSummary(
        invoice_id=_i(data, "chorusInvoiceId", "identifiant_facture_cpp", "identifiantFactureCPP"),
        invoice_number=_s(data, "invoiceNumber", "numero_facture", "numeroFacture"),
        invoice_date=_date(data, "invoiceDate", "date_facture", "dateFacture"),
        total_incl_tax=_d(data, "totalGrossAmount", "montant_ttc_total", "montantTTC"),
        status=status,
        recipient_structure_id=_i(data, "recipientStructureId", "id_structure_cpp_destinataire"),
        recipient_structure_name=_s(
            data, "recipientStructureName", "designation_structure_destinataire", "designationDestinataire"
        ),
        message=message_of(data),
        raw=frozen(data),
    )


# --- factures/soumettre --------------------------------------------------------------------


def build_submit(
    *,
    invoice_number: str,
    invoice_date: date,
    structure_id: int,
    total_excl_tax: Decimal,
    vat_amount: Decimal,
    total_incl_tax: Decimal,
    payment_due_date: date | None,
    service_code: str | None,
    engagement_number: str | None,
    main_attachment_id: int | None,
    main_attachment_label: str | None,
    comment: str | None,
    purchase_order_reference: str | None,
    contract_reference: str | None,
) -> dict[str, Any]:
    return compact(
        {
            "invoiceNumber": invoice_number,
            "invoiceDate": format_date(invoice_date),
            "structureId": int(structure_id),
            "totalNetAmount": format_amount(total_excl_tax),
            "vatAmount": format_amount(vat_amount),
            "totalGrossAmount": format_amount(total_incl_tax),
            "paymentDueDate": format_date(payment_due_date),
            "serviceCode": service_code,
            "engagementNumber": engagement_number,
            "mainAttachmentId": main_attachment_id,
            "mainAttachmentLabel": main_attachment_label,
            "comment": comment,
            "purchaseOrderReference": purchase_order_reference,
            "contractReference": contract_reference,
        }
    )


def read_submission(body: Any) -> t.SubmissionResult:
    data = require_mapping(body, "factures/soumettre")
    invoice_id = _i(data, "chorusInvoiceId", "identifiant_facture_cpp", "identifiantFactureCPP")
    if invoice_id is None:
        raise FactPulseMalformed(
            "The answer of factures/soumettre has no chorusInvoiceId.", endpoint="factures/soumettre"
        )
    return t.SubmissionResult(
        invoice_id=invoice_id,
        deposit_flow_number=_s(data, "depositFlowNumber", "numero_flux_depot", "numeroFluxDepot"),
        message=message_of(data),
        raw=frozen(data),
    )


# --- factures/completer --------------------------------------------------------------------


def build_complete(*, invoice_id: int, comment: str | None, attachments: Sequence[t.AttachmentRef]) -> dict[str, Any]:
    return compact(
        {
            "identifiantFactureCPP": int(invoice_id),
            "commentaire": comment,
            "listePiecesJointes": [
                {"pieceJointeIdFichier": int(a.attachment_id), "pieceJointeNom": a.name} for a in attachments
            ],
        }
    )


def read_completion(body: Any) -> t.CompletionResult:
    data = require_mapping(body, "factures/completer")
    return t.CompletionResult(
        invoice_id=_i(data, "identifiantFactureCPP", "idFacture"),
        invoice_number=_s(data, "numeroFacture"),
        processed_at=_dt(data, "dateTraitement"),
        message=message_of(data),
        raw=frozen(data),
    )


# --- factures/recycler ---------------------------------------------------------------------


def build_recycle(
    *,
    invoice_id: int,
    structure_id: int | None,
    service_code: str | None,
    engagement_number: str | None,
) -> dict[str, Any]:
    return compact(
        {
            "identifiantFactureCPP": int(invoice_id),
            "idStructureCPP": structure_id,
            "codeService": service_code,
            "numeroEngagement": engagement_number,
        }
    )


def read_recycle(body: Any) -> t.RecycleResult:
    data = require_mapping(body, "factures/recycler")
    return t.RecycleResult(
        invoice_id=_i(data, "identifiantFactureCPP", "idFacture"),
        invoice_number=_s(data, "numeroFacture"),
        status=_status(data, "statutFacture", "statut"),
        deposited_at=_dt(data, "dateDepot"),
        message=message_of(data),
        raw=frozen(data),
    )


# --- transverses/ajouter-fichier -----------------------------------------------------------


def build_upload(*, content_base64: str, name: str, mime_type: str, extension: str, size: int) -> dict[str, Any]:
    if not name or len(name) > MAX_ATTACHMENT_NAME:
        raise ValueError(f"name must have 1 to {MAX_ATTACHMENT_NAME} characters")
    if size > MAX_ATTACHMENT_BYTES:
        raise ValueError("attachments are limited to 10 MB")
    return {
        "pieceJointeFichier": content_base64,
        "pieceJointeNom": name,
        "pieceJointeTypeMime": mime_type,
        "pieceJointeExtension": extension.upper().lstrip("."),
    }


def read_upload(body: Any) -> t.UploadedFile:
    endpoint = "transverses/ajouter-fichier"
    data = require_mapping(body, endpoint)
    return t.UploadedFile(
        attachment_id=require_id(data, endpoint, "pieceJointeIdFichier", "pieceJointeId"),
        message=message_of(data),
        raw=frozen(data),
    )


ENDPOINTS = (
    Endpoint(
        "rechercher_factures_fournisseur",
        "POST",
        "factures/rechercher-fournisseur",
        True,
        read_supplier_search,
        EMPTY_SEARCH_CODE,
    ),
    Endpoint("consulter_facture", "POST", "factures/consulter", True, read_invoice),
    Endpoint("soumettre_facture", "POST", "factures/soumettre", False, read_submission),
    Endpoint("completer_facture", "POST", "factures/completer", False, read_completion),
    Endpoint("recycler_facture", "POST", "factures/recycler", False, read_recycle),
    Endpoint("ajouter_fichier", "POST", "transverses/ajouter-fichier", False, read_upload),
)
