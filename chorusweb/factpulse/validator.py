"""The validation circuit (validators of subcontractor and co-contractor invoices).

Endpoints `factures/valideur/rechercher`, `factures/valideur/consulter` and
`factures/valideur/traiter`: their request builders and answer readers, side by side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chorusweb import lifecycle
from chorusweb.factpulse import types as t
from chorusweb.factpulse.coerce import compact, frozen
from chorusweb.factpulse.coerce import pick_date as _date
from chorusweb.factpulse.coerce import pick_datetime as _dt
from chorusweb.factpulse.coerce import pick_decimal as _d
from chorusweb.factpulse.coerce import pick_int as _i
from chorusweb.factpulse.coerce import pick_object as _o
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

MAX_REASON_LENGTH = lifecycle.REASON_MAX_LENGTH


# --- factures/valideur/rechercher ----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ValidatorSearch(InvoiceSearch):
    """The filters of the validator's search."""

    paging_key = "pagination"

    recipient_id: int | None = None
    service_id: int | None = None
    supplier_id: int | None = None
    framework: str | None = None

    def filters(self) -> dict[str, Any]:
        return {
            "idDestinataire": self.recipient_id,
            "idServiceExecutant": self.service_id,
            "idFournisseur": self.supplier_id,
            "cadreFacturation": self.framework,
        }


def read_validator_row(row: Mapping[str, Any], endpoint: str = "valideur/rechercher") -> t.ValidatorInvoiceRow:
    return t.ValidatorInvoiceRow(
        invoice_id=require_id(row, endpoint, "idFacture", "identifiantFactureCPP"),
        invoice_number=_s(row, "numeroFacture"),
        invoice_type=_s(row, "typeFacture"),
        payment_request_type=_s(row, "typeDemandePaiement"),
        works_invoice_type=_s(row, "typeFactureTravaux"),
        framework=read_framework(row),
        status=_status(row, "statut", "statutFacture", "statutCourant"),
        status_changed_at=_dt(row, "dateHeureEtatCourant"),
        invoice_date=_date(row, "dateFacture"),
        deposit_date=_date(row, "dateDepot"),
        total_excl_tax=_d(row, "montantHT"),
        total_incl_tax=_d(row, "montantTTC"),
        amount_due=_d(row, "montantAPayer", "montantApayer"),
        currency=_s(row, "devise"),
        supplier_id=_i(row, "idFournisseur"),
        supplier_code=_s(row, "identifiantFournisseur", "codeFournisseur"),
        supplier_id_type=_s(row, "typeIdentifiantFournisseur"),
        supplier_name=_s(row, "designationFournisseur"),
        supplier_service_code=_s(row, "codeServiceFournisseur"),
        supplier_service_name=_s(row, "nomServiceFournisseur"),
        recipient_id=_i(row, "idDestinataire"),
        recipient_code=_s(row, "identifiantDestinataire", "codeDestinataire"),
        recipient_id_type=_s(row, "typeIdentifiantDestinataire"),
        recipient_name=_s(row, "designationDestinataire"),
        service_id=_i(row, "idServiceExecutant"),
        service_code=_s(row, "codeServiceExecutant"),
        service_name=_s(row, "nomServiceExecutant"),
        validator_id=_i(row, "idValideur"),
        validator_code=_s(row, "identifiantValideur", "codeValideur"),
        validator_id_type=_s(row, "typeIdentifiantValideur"),
        validator_name=_s(row, "designationValideur"),
        moe_id=_i(row, "idMoe"),
        moe_code=_s(row, "identifiantMoe", "codeMOE"),
        moe_name=_s(row, "designationMoe", "designationMOE"),
        moa_id=_i(row, "idMoa"),
        moa_code=_s(row, "identifiantMoa", "codeMOA"),
        moa_name=_s(row, "designationMoa", "designationMOA"),
        contract_number=_s(row, "numeroMarche"),
        engagement_number=_s(row, "numeroEngagement", "numeroBonCommande"),
        raw=frozen(row),
    )


def read_validator_search(body: Any, *, page: int = 1, page_size: int = 0) -> t.Page[t.ValidatorInvoiceRow]:
    return read_page(body, "factures/valideur/rechercher", read_validator_row, requested_page=page, page_size=page_size)


# --- factures/valideur/consulter -----------------------------------------------------------


def build_validator_consult(*, invoice_id: int) -> dict[str, Any]:
    return {"idFacture": int(invoice_id)}


def _sub_list(container: Any, *keys: str) -> list[Mapping[str, Any]]:
    """Native detail lists come as `{ligneTva: [...], page...}` or directly as a list."""
    if isinstance(container, list):
        return [x for x in container if isinstance(x, Mapping)]
    if isinstance(container, Mapping):
        for key in keys:
            value = container.get(key)
            if isinstance(value, list):
                return [x for x in value if isinstance(x, Mapping)]
            if isinstance(value, Mapping):
                return [value]
    return []


def _address(party: Mapping[str, Any], prefix: str) -> str:
    parts = [
        _s(party, f"{prefix}Detail"),
        _s(party, f"{prefix}Complement1"),
        " ".join(p for p in (_s(party, f"{prefix}CodePostal"), _s(party, f"{prefix}Ville")) if p),
        _s(party, f"{prefix}LibellePays"),
    ]
    return ", ".join(p for p in parts if p)


def read_validator_detail(body: Any, *, invoice_id: int | None = None) -> t.ValidatorInvoiceDetail:
    endpoint = "factures/valideur/consulter"
    data = require_mapping(body, endpoint)
    inner = _o(data, "facture")
    doc: Mapping[str, Any] = {**data, **inner} if inner else data
    found_id = _i(doc, "identifiantFactureCPP", "idFacture")
    if found_id is None:
        found_id = invoice_id
    if found_id is None:
        raise FactPulseMalformed(f"The answer of {endpoint} has no invoice id.", endpoint=endpoint)
    if not any(k in doc for k in ("numeroFacture", "fournisseur", "statutFacture", "statut", "references")):
        raise FactPulseMalformed(
            f"The answer of {endpoint} holds no invoice detail.",
            endpoint=endpoint,
            details={"keys": sorted(data)[:40]},
        )
    supplier = _o(doc, "fournisseur")
    recipient = _o(doc, "destinataire")
    frame = _o(doc, "cadreDeFacturation", "cadreFacturation")
    references = _o(doc, "references")
    totals = _o(doc, "montantTotal", "montantsTotaux")
    validators = []
    for level in (1, 2):
        step = t.ValidationStep(
            level=level,
            validator_id=_i(frame, f"idValideur{level}"),
            code=_s(frame, f"codeValideur{level}", f"identifiantValideur{level}"),
            name=_s(frame, f"raisonSocialeValideur{level}", f"designationValideur{level}")
            or " ".join(p for p in (_s(frame, f"prenomValideur{level}"), _s(frame, f"nomValideur{level}")) if p),
            validated_on=_date(frame, f"dateValidation{level}"),
        )
        if step.validator_id or step.code or step.name:
            validators.append(step)
    main = _o(doc, "pieceJointePrincipale")
    return t.ValidatorInvoiceDetail(
        invoice_id=found_id,
        invoice_number=_s(doc, "numeroFacture"),
        status=_status(doc, "statutFacture", "statut", "statutCourant"),
        framework=read_framework(doc) if not frame else _s(frame, "codeCadreFacturation", "code"),
        deposit_mode=_s(doc, "modeDepot"),
        comment=_s(doc, "commentaire"),
        invoice_type=_s(references, "typeFacture") or _s(doc, "typeFacture"),
        invoice_date=_date(references, "dateFacture") or _date(doc, "dateFacture"),
        deposit_date=_date(references, "dateDepot") or _date(doc, "dateDepot"),
        payment_due_date=_date(references, "dateEcheancePaiement"),
        currency=_s(references, "codeDeviseFacture", "devise") or _s(doc, "devise"),
        contract_number=_s(references, "numeroMarche"),
        purchase_order_number=_s(references, "numeroBonCommande"),
        vat_type=_s(references, "typeTva"),
        payment_mode=_s(references, "modePaiement"),
        supplier=t.Party(
            id=_i(supplier, "idFournisseur"),
            code=_s(supplier, "codeFournisseur", "identifiantFournisseur"),
            id_type=_s(supplier, "typeIdentifiantFournisseur"),
            name=_s(supplier, "designationFournisseur", "raisonSocialeFournisseur")
            or " ".join(p for p in (_s(supplier, "prenomFournisseur"), _s(supplier, "nomFournisseur")) if p),
            service_id=_i(supplier, "idServiceFournisseur"),
            service_code=_s(supplier, "codeServiceFournisseur"),
            service_name=_s(supplier, "libelleServiceFournisseur", "nomServiceFournisseur"),
            address=_address(supplier, "adresseFournisseur"),
            raw=frozen(supplier),
        ),
        recipient=t.Party(
            id=_i(recipient, "idDestinataire"),
            code=_s(recipient, "codeDestinataire", "identifiantDestinataire"),
            id_type=_s(recipient, "typeIdentifiantDestinataire"),
            name=_s(recipient, "libelleDestinataire", "designationDestinataire"),
            service_id=_i(recipient, "idServiceExecutant"),
            service_code=_s(recipient, "codeServiceExecutant"),
            service_name=_s(recipient, "libelleServiceExecutant", "nomServiceExecutant"),
            address=_address(recipient, "adresseDestinataire"),
            raw=frozen(recipient),
        ),
        validators=tuple(validators),
        totals=t.InvoiceTotals(
            total_excl_tax=_d(totals, "montantHtTotal", "montantHT"),
            vat_amount=_d(totals, "montantTVA", "montantTva"),
            total_incl_tax=_d(totals, "montantTtcTotal", "montantTTC"),
            amount_due=_d(totals, "montantAPayer", "montantApayer"),
            global_discount=_d(totals, "montantRemiseGlobaleTTC"),
        ),
        vat_summary=tuple(
            t.VatLine(
                rate_code=_s(line, "ligneTvaTauxRefCode"),
                rate_label=_s(line, "ligneTvaTauxRefLibelle"),
                rate=_d(line, "ligneTvaTauxRefValeur", "ligneTvaTauxManuel"),
                base_amount=_d(line, "ligneTvaMontantBaseHtParTaux"),
                vat_amount=_d(line, "ligneTvaMontantTvaParTaux"),
            )
            for line in _sub_list(doc.get("recapitulatifDeTva"), "ligneTva", "lignesTva")
        ),
        lines=tuple(
            t.InvoiceLine(
                number=_i(line, "lignePosteNumero"),
                reference=_s(line, "lignePosteReference"),
                description=_s(line, "lignePosteDenomination"),
                quantity=_d(line, "lignePosteQuantite"),
                unit=_s(line, "lignePosteUniteLibelle", "lignePosteUniteCode"),
                unit_price=_d(line, "lignePosteMontantUnitaireHT"),
                discount=_d(line, "lignePosteMontantRemiseHT"),
                vat_rate=_d(line, "lignePosteTauxTva", "lignePosteTauxTvaManuel"),
                net_amount=_d(line, "lignePosteMontantHtApresRemise"),
                vat_amount=_d(line, "lignePosteMontantTva"),
                gross_amount=_d(line, "lignePosteMontantTtcApresRemise"),
            )
            for line in _sub_list(doc.get("lignesDePoste"), "lignePoste", "lignesPoste")
        ),
        attachments=tuple(
            t.Attachment(
                attachment_id=_i(item, "pieceJointeId"),
                link_id=_i(item, "pieceJointeIdLiaison"),
                type_code=_s(item, "pieceJointeTypeCode"),
                type_label=_s(item, "pieceJointeTypeLibelle"),
                name=_s(item, "pieceJointeDesignation", "pieceJointeNom"),
                extension=_s(item, "pieceJointeExtension"),
                line_number=_i(item, "pieceJointeNumeroLigneFacture"),
            )
            for item in _sub_list(doc.get("listeDesPiecesJointes"), "pieceJointe", "piecesJointes")
        ),
        main_attachment_id=_i(main, "idPieceJointePrincipale"),
        raw=frozen(data),
    )


# --- factures/valideur/traiter -------------------------------------------------------------


def build_validator_process(
    *, invoice_id: int, action: str, reason: str | None, complement: str | None
) -> dict[str, Any]:
    action = (action or "").strip().upper()
    if action not in lifecycle.VALIDATION_ACTIONS:
        raise ValueError(f"action must be one of {', '.join(lifecycle.VALIDATION_ACTIONS)}")
    if reason and len(reason) > MAX_REASON_LENGTH:
        raise ValueError(f"reason is limited to {MAX_REASON_LENGTH} characters")
    return compact({"idFacture": int(invoice_id), "action": action, "motifRefus": reason, "complementInfo": complement})


def read_validation(body: Any) -> t.ValidationResult:
    data = require_mapping(body, "factures/valideur/traiter")
    return t.ValidationResult(
        invoice_id=_i(data, "idFacture", "identifiantFactureCPP"),
        invoice_number=_s(data, "numeroFacture"),
        status=_status(data, "statutFacture", "nouveauStatut", "statut"),
        processed_at=_dt(data, "dateTraitement"),
        message=message_of(data),
        raw=frozen(data),
    )


ENDPOINTS = (
    Endpoint(
        "valideur_rechercher_factures",
        "POST",
        "factures/valideur/rechercher",
        True,
        read_validator_search,
        EMPTY_SEARCH_CODE,
    ),
    Endpoint("valideur_consulter_facture", "POST", "factures/valideur/consulter", True, read_validator_detail),
    Endpoint("valideur_traiter_facture", "POST", "factures/valideur/traiter", False, read_validation),
)
