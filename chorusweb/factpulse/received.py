"""Received invoices (the public buyer's side): search, process, download.

Endpoints `factures/rechercher-destinataire`, `factures/traiter-facture-recue` and
`factures/telecharger-groupe`: their request builders and answer readers, side by side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from chorusweb import lifecycle
from chorusweb.factpulse import types as t
from chorusweb.factpulse.coerce import compact, format_date, frozen
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
    read_page,
    require_id,
    require_mapping,
)

MAX_REASON_LENGTH = lifecycle.REASON_MAX_LENGTH
DOWNLOAD_FORMATS = ("ZIP", "PDF", "XML")
#: Keys that may carry the base64 document of `telecharger-groupe`.
DOWNLOAD_FILE_KEYS = ("fichierBase64", "fichierResultat")


# --- factures/rechercher-destinataire ------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReceivedSearch(InvoiceSearch):
    """The filters of the received invoices' search.

    `status_changed_from` filters on the date of the last status change (incremental sync).
    """

    paging_key = "paramRecherche"

    status_changed_from: date | None = None
    status_changed_to: date | None = None
    downloaded: bool | None = None
    recipient_id: int | None = None
    service_id: int | None = None

    def filters(self) -> dict[str, Any]:
        return {
            "periodeDateHeureEtatCourantDu": format_date(self.status_changed_from),
            "periodeDateHeureEtatCourantAu": format_date(self.status_changed_to),
            "factureTelechargeeParDestinataire": self.downloaded,
            "idDestinataire": self.recipient_id,
            "idServiceExecutant": self.service_id,
        }


def read_received_row(row: Mapping[str, Any], endpoint: str = "rechercher-destinataire") -> t.ReceivedInvoiceRow:
    return t.ReceivedInvoiceRow(
        invoice_id=require_id(row, endpoint, "idFacture", "identifiantFactureCPP"),
        invoice_number=_s(row, "numeroFacture"),
        invoice_type=_s(row, "typeFacture"),
        payment_request_type=_s(row, "typeDemandePaiement"),
        works_invoice_type=_s(row, "typeFactureTravaux"),
        status=_status(row, "statut", "statutFacture", "statutCourant"),
        status_changed_at=_dt(row, "dateHeureEtatCourant"),
        status_comment=_s(row, "commentaireEtatCourant"),
        invoice_date=_date(row, "dateFacture"),
        deposit_date=_date(row, "dateDepot"),
        total_excl_tax=_d(row, "montantHT", "montantHtTotal"),
        total_incl_tax=_d(row, "montantTTC", "montantTtcTotal"),
        amount_due=_d(row, "montantAPayer", "montantApayer"),
        currency=_s(row, "devise", "codeDeviseFacture"),
        supplier_code=_s(row, "codeFournisseur", "identifiantFournisseur"),
        supplier_id_type=_s(row, "typeIdentifiantFournisseur"),
        supplier_name=_s(row, "designationFournisseur", "raisonSocialeFournisseur"),
        supplier_service_code=_s(row, "codeServiceFournisseur"),
        supplier_service_name=_s(row, "nomServiceFournisseur", "libelleServiceFournisseur"),
        recipient_id=_i(row, "idDestinataire"),
        recipient_code=_s(row, "codeDestinataire", "identifiantDestinataire"),
        recipient_name=_s(row, "designationDestinataire", "libelleDestinataire"),
        service_id=_i(row, "idServiceExecutant"),
        service_code=_s(row, "codeServiceExecutant"),
        service_name=_s(row, "nomServiceExecutant", "libelleServiceExecutant"),
        contract_number=_s(row, "numeroMarche"),
        purchase_order_number=_s(row, "numeroBonCommande"),
        downloaded=bool(_b(row, "factureTelechargeeParDestinataire")),
        size=_i(row, "taille"),
        moe_code=_s(row, "codeMOE", "identifiantMoe"),
        moe_id_type=_s(row, "typeIdentifiantMOE", "typeIdentifiantMoe"),
        moe_name=_s(row, "designationMOE", "designationMoe"),
        moa_code=_s(row, "codeMOA", "identifiantMoa"),
        moa_id_type=_s(row, "typeIdentifiantMOA", "typeIdentifiantMoa"),
        moa_name=_s(row, "designationMOA", "designationMoa"),
        raw=frozen(row),
    )


def read_recipient_search(body: Any, *, page: int = 1, page_size: int = 0) -> t.Page[t.ReceivedInvoiceRow]:
    return read_page(
        body, "factures/rechercher-destinataire", read_received_row, requested_page=page, page_size=page_size
    )


# --- factures/traiter-facture-recue --------------------------------------------------------


def build_process_received(
    *,
    invoice_id: int,
    new_status: str,
    reason: str | None,
    comment: str | None,
    mandate_number: str | None,
) -> dict[str, Any]:
    status = lifecycle.normalise_status(new_status)
    if not status:
        raise ValueError("new_status is required")
    if reason and len(reason) > MAX_REASON_LENGTH:
        raise ValueError(f"reason is limited to {MAX_REASON_LENGTH} characters")
    if mandate_number and status != lifecycle.MANDATE_TARGET:
        raise ValueError("mandate_number goes only with MANDATEE")
    return compact(
        {
            "identifiantFactureCPP": int(invoice_id),
            "nouveauStatut": status,
            "motifRejet": reason,
            "commentaire": comment,
            "numeroDPMandat": mandate_number,
        }
    )


def read_processing(body: Any) -> t.ProcessingResult:
    data = require_mapping(body, "factures/traiter-facture-recue")
    return t.ProcessingResult(
        invoice_id=_i(data, "idFacture", "identifiantFactureCPP"),
        invoice_number=_s(data, "numeroFacture"),
        new_status=_status(data, "nouveauStatut", "statutFacture", "statut"),
        processed_at=_dt(data, "dateTraitement"),
        message=message_of(data),
        raw=frozen(data),
    )


# --- factures/telecharger-groupe -----------------------------------------------------------


@dataclass(frozen=True)
class DownloadRequest:
    """A group download: invoice ids, file format (ZIP, PDF or XML) and attachments or not."""

    invoice_ids: tuple[int, ...]
    file_format: str = "ZIP"
    include_attachments: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "invoice_ids", tuple(int(i) for i in self.invoice_ids))
        object.__setattr__(self, "file_format", (self.file_format or "").upper())
        if not self.invoice_ids:
            raise ValueError("invoice_ids is empty")
        if self.file_format not in DOWNLOAD_FORMATS:
            raise ValueError(f"file_format must be one of {', '.join(DOWNLOAD_FORMATS)}")

    def to_body(self) -> dict[str, Any]:
        return {
            "listeIdentifiantsFactureCPP": list(self.invoice_ids),
            "inclurePiecesJointes": bool(self.include_attachments),
            "formatFichier": self.file_format,
        }


ENDPOINTS = (
    Endpoint(
        "rechercher_factures_destinataire",
        "POST",
        "factures/rechercher-destinataire",
        True,
        read_recipient_search,
        EMPTY_SEARCH_CODE,
    ),
    Endpoint("traiter_facture_recue", "POST", "factures/traiter-facture-recue", False, read_processing),
    Endpoint("telecharger_groupe_factures", "POST", "factures/telecharger-groupe", True),
)
