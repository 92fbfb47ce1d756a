"""Reads: which invoices a token sees, the three searches, the detail and typed answers.

Search rows are read with `.values_list()` over the list columns of `Invoice` and turned into
native dicts in one pass, so a page of 1000 rows costs two indexed queries.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from chorusweb import lifecycle as lc
from sandbox.accounts import Principal
from sandbox.amounts import compute_totals
from sandbox.models import Attachment, Invoice, Service, Structure
from sandbox.schemas import Body

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 10
OK = "TRA_MSG_00.000"
NO_RESULT = 20000
NO_RESULT_LABEL = "TRA_MSG_00.015 – La recherche n'a retourné aucun résultat."

RECIPIENT = "recipient"
SUPPLIER = "supplier"
VALIDATOR = "validator"


class Refusal(Exception):
    """A business refusal: answered HTTP 200 with a non-zero `codeRetour` and a `libelle`."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --- visibility --------------------------------------------------------------------------------


def visible_invoices(principal: Principal, role: str) -> QuerySet[Invoice]:
    """The invoices a token sees in a role; an invoice of another account is never visible."""
    ids = principal.structure_ids
    if role == RECIPIENT:
        return Invoice.objects.filter(recipient_id__in=ids, routed=True)
    if role == SUPPLIER:
        return Invoice.objects.filter(supplier_id__in=ids)
    if role == VALIDATOR:
        return Invoice.objects.filter(validator_id__in=ids)
    return Invoice.objects.filter(
        Q(recipient_id__in=ids, routed=True) | Q(supplier_id__in=ids) | Q(validator_id__in=ids)
    )


def invoice_get(principal: Principal, invoice_id: int, role: str = "any") -> Invoice:
    """One visible invoice, or a refusal "facture introuvable"."""
    invoice = (
        visible_invoices(principal, role)
        .select_related("supplier", "recipient", "service", "validator")
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None:
        raise Refusal(20002, f"La facture {invoice_id} est introuvable ou n'est pas accessible à ce compte.")
    return invoice


# --- formatting ---------------------------------------------------------------------------------


def iso_datetime(value: datetime | None) -> str | None:
    """ISO 8601 with the Europe/Paris offset."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def iso_date_of(value: datetime | None) -> str | None:
    return timezone.localtime(value).date().isoformat() if value else None


def _date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _opt(value: Any) -> Any:
    return value if value not in ("", None) else None


def _typed_amount(value: Decimal | None) -> str | None:
    return f"{value:.2f}" if value is not None else None


# (JSON key, column for values_list, converter)
Column = tuple[str, str, Callable[[Any], Any] | None]

RECIPIENT_COLUMNS: list[Column] = [
    ("idFacture", "id", None),
    ("numeroFacture", "numero_facture", None),
    ("typeDemandePaiement", "type_demande_paiement", None),
    ("typeFacture", "type_facture", None),
    ("typeFactureTravaux", "type_facture_travaux", _opt),
    ("cadreFacturation", "cadre_facturation", None),
    ("statut", "statut", None),
    ("dateHeureEtatCourant", "date_heure_etat_courant", iso_datetime),
    ("commentaireEtatCourant", "commentaire_etat_courant", _opt),
    ("dateFacture", "date_facture", _date),
    ("dateDepot", "date_depot", iso_date_of),
    ("montantHT", "montant_ht", _number),
    ("montantTTC", "montant_ttc", _number),
    ("montantAPayer", "montant_a_payer", _number),
    ("devise", "devise", None),
    ("codeFournisseur", "code_fournisseur", None),
    ("typeIdentifiantFournisseur", "type_identifiant_fournisseur", None),
    ("designationFournisseur", "designation_fournisseur", None),
    ("codeServiceFournisseur", "type_facture_travaux", lambda _v: None),
    ("nomServiceFournisseur", "type_facture_travaux", lambda _v: None),
    ("idDestinataire", "recipient_id", None),
    ("codeDestinataire", "code_destinataire", None),
    ("designationDestinataire", "designation_destinataire", None),
    ("idServiceExecutant", "service_id", None),
    ("codeServiceExecutant", "code_service_executant", _opt),
    ("nomServiceExecutant", "nom_service_executant", _opt),
    ("numeroMarche", "numero_marche", _opt),
    ("numeroBonCommande", "numero_bon_commande", _opt),
    ("taille", "taille", None),
    ("factureTelechargeeParDestinataire", "facture_telechargee", None),
]

SUPPLIER_COLUMNS: list[Column] = [
    ("identifiantFactureCPP", "id", None),
    ("numeroFacture", "numero_facture", None),
    ("typeFacture", "type_facture", None),
    ("cadreFacturation", "cadre_facturation", None),
    ("statut", "statut", None),
    ("dateHeureEtatCourant", "date_heure_etat_courant", iso_datetime),
    ("commentaireEtatCourant", "commentaire_etat_courant", _opt),
    ("numeroFluxDepot", "numero_flux_depot", _opt),
    ("modeDepot", "mode_depot", None),
    ("dateFacture", "date_facture", _date),
    ("dateDepot", "date_depot", iso_date_of),
    ("montantHT", "montant_ht", _number),
    ("montantTTC", "montant_ttc", _number),
    ("montantAPayer", "montant_a_payer", _number),
    ("devise", "devise", None),
    ("idFournisseur", "supplier_id", None),
    ("codeFournisseur", "code_fournisseur", None),
    ("designationFournisseur", "designation_fournisseur", None),
    ("idDestinataire", "recipient_id", None),
    ("codeDestinataire", "code_destinataire", None),
    ("designationDestinataire", "designation_destinataire", None),
    ("idServiceExecutant", "service_id", None),
    ("codeServiceExecutant", "code_service_executant", _opt),
    ("nomServiceExecutant", "nom_service_executant", _opt),
    ("numeroMarche", "numero_marche", _opt),
    ("numeroBonCommande", "numero_bon_commande", _opt),
    ("idValideur1", "validator_id", None),
    ("designationValideur1", "validator__name", None),
    ("dateValidation1", "date_validation", iso_datetime),
    ("taille", "taille", None),
    ("rejetTraite", "rejet_traite", None),
    ("factureTelechargeeParDestinataire", "facture_telechargee", None),
]

VALIDATOR_COLUMNS: list[Column] = [
    ("idFacture", "id", None),
    ("typeDemandePaiement", "type_demande_paiement", None),
    ("cadreFacturation", "cadre_facturation", None),
    ("idFournisseur", "supplier_id", None),
    ("identifiantFournisseur", "code_fournisseur", None),
    ("typeIdentifiantFournisseur", "type_identifiant_fournisseur", None),
    ("designationFournisseur", "designation_fournisseur", None),
    ("idDestinataire", "recipient_id", None),
    ("typeIdentifiantDestinataire", "recipient__identifier_type", None),
    ("identifiantDestinataire", "code_destinataire", None),
    ("designationDestinataire", "designation_destinataire", None),
    ("idServiceExecutant", "service_id", None),
    ("codeServiceExecutant", "code_service_executant", _opt),
    ("nomServiceExecutant", "nom_service_executant", _opt),
    ("idValideur", "validator_id", None),
    ("typeIdentifiantValideur", "validator__identifier_type", None),
    ("identifiantValideur", "validator__identifier", None),
    ("designationValideur", "validator__name", None),
    ("typeFacture", "type_facture", None),
    ("numeroFacture", "numero_facture", None),
    ("dateFacture", "date_facture", _date),
    ("dateDepot", "date_depot", iso_date_of),
    ("montantHT", "montant_ht", _number),
    ("montantTTC", "montant_ttc", _number),
    ("montantAPayer", "montant_a_payer", _number),
    ("devise", "devise", None),
    ("statut", "statut_validation", None),
    ("dateHeureEtatCourant", "date_heure_etat_courant", iso_datetime),
    ("commentaireEtatCourant", "commentaire_etat_courant", _opt),
    ("numeroMarche", "numero_marche", _opt),
    ("numeroEngagement", "numero_bon_commande", _opt),
]

COLUMNS = {RECIPIENT: RECIPIENT_COLUMNS, SUPPLIER: SUPPLIER_COLUMNS, VALIDATOR: VALIDATOR_COLUMNS}


def serialise_rows(queryset: QuerySet[Invoice], columns: list[Column]) -> list[dict[str, Any]]:
    """Rows as native dicts, in one query."""
    keys = [key for key, _column, _conv in columns]
    converters = [conv for _key, _column, conv in columns]
    fields = [column for _key, column, _conv in columns]
    converted = [(index, conv) for index, conv in enumerate(converters) if conv is not None]
    rows = []
    for values in queryset.values_list(*fields):
        out = list(values)
        for index, conv in converted:
            out[index] = conv(out[index])
        rows.append(dict(zip(keys, out, strict=True)))
    return rows


# --- filters ------------------------------------------------------------------------------------

SORT_COLUMNS = {
    "IdFacture": "id",
    "IdentifiantFactureCPP": "id",
    "TypeDemandePaiement": "type_demande_paiement",
    "CodeFournisseur": "code_fournisseur",
    "IdentifiantFournisseur": "code_fournisseur",
    "IdFournisseur": "supplier_id",
    "TypeIdentifiantFournisseur": "type_identifiant_fournisseur",
    "Fournisseur": "designation_fournisseur",
    "DesignationFournisseur": "designation_fournisseur",
    "CodeServiceFournisseur": "designation_fournisseur",
    "NomServiceFournisseur": "designation_fournisseur",
    "CodeDestinataire": "code_destinataire",
    "IdentifiantDestinataire": "code_destinataire",
    "IdDestinataire": "recipient_id",
    "Destinataire": "designation_destinataire",
    "DesignationDestinataire": "designation_destinataire",
    "CodeServiceExecutant": "code_service_executant",
    "NomServiceExecutant": "nom_service_executant",
    "TypeFacture": "type_facture",
    "TypeFactureTravaux": "type_facture_travaux",
    "CadreFacturation": "cadre_facturation",
    "NumeroFacture": "numero_facture",
    "DateFacture": "date_facture",
    "DateDepot": "date_depot",
    "DateHeureEtatCourant": "date_heure_etat_courant",
    "MontantHT": "montant_ht",
    "MontantTTC": "montant_ttc",
    "MontantAPayer": "montant_a_payer",
    "Devise": "devise",
    "Statut": "statut",
    "NumeroMarche": "numero_marche",
    "NumeroBonCommande": "numero_bon_commande",
    "NumeroEngagement": "numero_bon_commande",
    "NumeroFluxDepot": "numero_flux_depot",
    "FactureTelechargeeParDestinataire": "facture_telechargee",
}
SORT_DIRECTIONS = {"ASCENDANT": "", "ASC": "", "DESCENDANT": "-", "DESC": "-"}
PAGINATION_KEYS = {
    RECIPIENT: ("paramRecherche", "rechercheFactureParFournisseur", "pagination"),
    SUPPLIER: ("rechercheFactureParFournisseur", "paramRecherche", "pagination"),
    VALIDATOR: ("pagination", "paramRecherche", "rechercheFactureParFournisseur"),
}


def _start_of(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    return timezone.make_aware(datetime.combine(value, time.min))


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _datetime_range(body: Body, prefix: str, field: str) -> Q:
    q = Q()
    start = body.date(f"{prefix}Du")
    end = body.date(f"{prefix}Au")
    if start is not None:
        q &= Q(**{f"{field}__gte": _start_of(start)})
    if end is not None:
        if isinstance(end, datetime):
            q &= Q(**{f"{field}__lte": _start_of(end)})
        else:
            q &= Q(**{f"{field}__lt": _start_of(end + timedelta(days=1))})
    return q


def _amount_range(body: Body, names: tuple[str, ...], field: str) -> Q:
    q = Q()
    low = body.decimal(*[f"{n}Min" for n in names])
    high = body.decimal(*[f"{n}Max" for n in names])
    if low is not None:
        q &= Q(**{f"{field}__gte": low})
    if high is not None:
        q &= Q(**{f"{field}__lte": high})
    return q


def _filters(body: Body, role: str) -> Q:
    """The filters of the native searches (§3, §6, §13 of the native reference)."""
    q = Q()
    status_field = "statut_validation" if role == VALIDATOR else "statut"
    statuses = body.str_list("statutCourant", "statut", "listeStatut")
    if statuses:
        q &= Q(**{f"{status_field}__in": [lc.normalise_status(s) for s in statuses]})
    for names, field in (
        (("typeDemandePaiement",), "type_demande_paiement"),
        (("numeroFacture",), "numero_facture"),
        (("cadreFacturation",), "cadre_facturation"),
        (("numeroMarche",), "numero_marche"),
        (("numeroBonCommande", "numeroEngagement"), "numero_bon_commande"),
        (("numeroFluxDepot",), "numero_flux_depot"),
        (("codeDestinataire", "identifiantDestinataire"), "code_destinataire"),
        (("codeFournisseur", "identifiantFournisseur"), "code_fournisseur"),
    ):
        value = body.str(*names)
        if value not in (None, ""):
            q &= Q(**{f"{field}__iexact": value.strip()})
    for names, field in (
        (("idDestinataire",), "recipient_id"),
        (("idServiceExecutant",), "service_id"),
        (("idFournisseur",), "supplier_id"),
        (("idStructureValideur", "idValideur"), "validator_id"),
    ):
        value = body.int(*names)
        if value is not None:
            q &= Q(**{field: value})
    types = body.str_list("listeTypeFacture", "typeFacture")
    if types:
        q &= Q(type_facture__in=[t.strip().upper() for t in types])
    for names, field in (
        (("factureTelechargeeParDestinataire",), "facture_telechargee"),
        (("rejetTraite",), "rejet_traite"),
    ):
        flag = body.bool(*names)
        if flag is not None:
            q &= Q(**{field: flag})
    _name, suppliers = body.list("listeFournisseurs")
    if suppliers:
        ids = [item.get("idFournisseur") for item in suppliers if isinstance(item, dict)]
        q &= Q(supplier_id__in=[i for i in ids if isinstance(i, int)])
    _name, recipients = body.list("listeDestinataire")
    if recipients:
        sub = Q()
        for index, item in enumerate(recipients):
            child = Body(item, (*body.loc, "listeDestinataire", index), body.errors) if isinstance(item, dict) else None
            if child is None:
                continue
            recipient_id = child.int("idDestinataire")
            services = child.int_list("listeIdServiceExecutant") or []
            part = Q(recipient_id=recipient_id) if recipient_id is not None else Q()
            if services:
                part &= Q(service_id__in=services)
            sub |= part
        q &= sub
    q &= _datetime_range(body, "periodeDateDepot", "date_depot")
    q &= _datetime_range(body, "periodeDateHeureEtatCourant", "date_heure_etat_courant")
    start = body.date("periodeDateFactureDu")
    end = body.date("periodeDateFactureAu")
    if start is not None:
        q &= Q(date_facture__gte=_day(start))
    if end is not None:
        q &= Q(date_facture__lte=_day(end))
    q &= _amount_range(body, ("montantHT",), "montant_ht")
    q &= _amount_range(body, ("montantTTC",), "montant_ttc")
    q &= _amount_range(body, ("montantAPayer", "montantApayer"), "montant_a_payer")
    return q


@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int
    order_by: tuple[str, ...]


def _paging(body: Body, role: str) -> Paging:
    params = body.obj(*PAGINATION_KEYS[role]) or Body({}, body.loc, body.errors)
    page = params.int("pageResultatDemandee")
    per_page = params.int("nbResultatsParPage")
    column = params.str("triColonne")
    direction = params.str("triSens", "triSense")
    body.raise_if_errors()
    page = 1 if page is None else page
    per_page = DEFAULT_PAGE_SIZE if per_page is None else per_page
    if page < 1:
        raise Refusal(20001, "Le numéro de page demandé (pageResultatDemandee) doit être supérieur ou égal à 1.")
    if per_page < 1:
        raise Refusal(20001, "Le nombre de résultats par page (nbResultatsParPage) doit être supérieur à 0.")
    per_page = min(per_page, MAX_PAGE_SIZE)
    sign = "-"
    field = "date_depot"
    if direction not in (None, ""):
        key = direction.strip().upper()
        if key not in SORT_DIRECTIONS:
            raise Refusal(20001, f"Sens de tri inconnu : « {direction} » (Ascendant ou Descendant).")
        sign = SORT_DIRECTIONS[key]
    if column not in (None, ""):
        key = column.strip()
        key = key[:1].upper() + key[1:]
        if key not in SORT_COLUMNS:
            raise Refusal(20001, f"Colonne de tri inconnue : « {column} ».")
        field = SORT_COLUMNS[key]
        if field == "statut" and role == VALIDATOR:
            field = "statut_validation"
        if direction in (None, ""):
            sign = ""
    return Paging(page=page, per_page=per_page, order_by=(f"{sign}{field}", f"{sign}id"))


def invoice_search(*, principal: Principal, role: str, body: Body) -> dict[str, Any]:
    """One of the three searches: filters, 1-based pages, sort; `codeRetour` 20000 when empty."""
    q = _filters(body, role)
    paging = _paging(body, role)
    queryset = visible_invoices(principal, role).filter(q)
    total = queryset.count()
    pages = math.ceil(total / paging.per_page) if total else 0
    rows: list[dict[str, Any]] = []
    if total and paging.page <= pages:
        offset = (paging.page - 1) * paging.per_page
        page_qs = queryset.order_by(*paging.order_by)[offset : offset + paging.per_page]
        rows = serialise_rows(page_qs, COLUMNS[role])
    pagination = {
        "pageCourante": paging.page,
        "pages": pages,
        "nbResultatsParPage": paging.per_page,
        "total": total,
    }
    answer: dict[str, Any] = {
        "codeRetour": 0 if total else NO_RESULT,
        "libelle": OK if total else NO_RESULT_LABEL,
    }
    if role == RECIPIENT:
        answer.update(pagination)
    else:
        answer["parametresRetour"] = pagination
    answer["listeFactures"] = rows
    return answer


# --- detail (valideur/consulter) ------------------------------------------------------------------


def _address(prefix: str, structure: Structure) -> dict[str, Any]:
    return {
        f"{prefix}Detail": structure.street,
        f"{prefix}Complement1": None,
        f"{prefix}Complement2": None,
        f"{prefix}CodePostal": structure.postal_code,
        f"{prefix}Ville": structure.city,
        f"{prefix}CodePays": "FR",
        f"{prefix}LibellePays": "France",
    }


def invoice_detail(invoice: Invoice) -> dict[str, Any]:
    """The native detail shape (§4/§7): parties, framework, references, amounts, VAT, lines, files."""
    totals = compute_totals(invoice.lines)
    supplier, recipient, validator = invoice.supplier, invoice.recipient, invoice.validator
    attachments = list(
        Attachment.objects.filter(invoice=invoice)
        .order_by("id")
        .values("id", "type_code", "designation", "name", "extension", "size")
    )
    framework: dict[str, Any] = {"codeCadreFacturation": invoice.cadre_facturation}
    for level in (1, 2):
        current = validator if validator and invoice.validation_level == level else None
        framework.update(
            {
                f"idValideur{level}": current.pk if current else None,
                f"typeIdentifiantValideur{level}": current.identifier_type if current else None,
                f"codeValideur{level}": current.identifier if current else None,
                f"raisonSocialeValideur{level}": current.name if current else None,
                f"nomValideur{level}": None,
                f"prenomValideur{level}": None,
                f"dateValidation{level}": iso_datetime(invoice.date_validation) if current else None,
            }
        )
    framework["statutValidation"] = _opt(invoice.statut_validation)
    return {
        "identifiantFactureCPP": invoice.pk,
        "idFacture": invoice.pk,
        "numeroFacture": invoice.numero_facture,
        "statutFacture": invoice.statut,
        "statut": invoice.statut,
        "libelleStatut": lc.status_label(invoice.statut),
        "dateHeureEtatCourant": iso_datetime(invoice.date_heure_etat_courant),
        "commentaireEtatCourant": _opt(invoice.commentaire_etat_courant),
        "factureTelechargeeParDestinataire": invoice.facture_telechargee,
        "modeDepot": invoice.mode_depot,
        "numeroFluxDepot": _opt(invoice.numero_flux_depot),
        "commentaire": _opt(invoice.commentaire),
        "rejetTraite": invoice.rejet_traite,
        "destinataire": {
            "idDestinataire": recipient.pk,
            "codeDestinataire": recipient.identifier,
            "typeIdentifiantDestinataire": recipient.identifier_type,
            "libelleDestinataire": recipient.name,
            "designationDestinataire": recipient.name,
            "idServiceExecutant": invoice.service_id,
            "codeServiceExecutant": _opt(invoice.code_service_executant),
            "libelleServiceExecutant": _opt(invoice.nom_service_executant),
            "miseEnPaiementDestinataire": invoice.statut == lc.MISE_EN_PAIEMENT,
            **_address("adresseDestinataire", recipient),
        },
        "fournisseur": {
            "idFournisseur": supplier.pk,
            "typeIdentifiantFournisseur": supplier.identifier_type,
            "codeFournisseur": supplier.identifier,
            "designationFournisseur": supplier.name,
            "raisonSocialeFournisseur": supplier.name,
            "numeroTvaIntracommunautaire": supplier.vat_number,
            "idServiceFournisseur": None,
            "codeServiceFournisseur": None,
            "libelleServiceFournisseur": None,
            "coordBancairesFournisseurType": "IBAN" if supplier.iban else None,
            "coordBancairesFournisseurCompteBancaire": _opt(supplier.iban),
            **_address("adresseFournisseur", supplier),
        },
        "cadreDeFacturation": framework,
        "references": {
            "dateFacture": _date(invoice.date_facture),
            "dateDepot": iso_datetime(invoice.date_depot),
            "codeDeviseFacture": invoice.devise,
            "libelleDeviseFacture": "Euro" if invoice.devise == "EUR" else invoice.devise,
            "typeFacture": invoice.type_facture,
            "typeFactureTravaux": _opt(invoice.type_facture_travaux),
            "typeTva": "TVA_SUR_DEBIT",
            "motifExonerationTva": None,
            "numeroMarche": _opt(invoice.numero_marche),
            "numeroBonCommande": _opt(invoice.numero_bon_commande),
            "numeroFactureOrigine": None,
            "modePaiement": "VIREMENT",
            "dateEcheancePaiement": _date(invoice.date_echeance),
            "tailleTotalePiecesJointes": sum(a["size"] for a in attachments),
            "numeroDpMandat": _opt(invoice.numero_dp_mandat),
        },
        "montantTotal": {
            "montantHtTotal": _number(invoice.montant_ht),
            "montantTVA": _number(invoice.montant_tva),
            "montantTtcAvantRemiseGlobalTTC": _number(invoice.montant_ttc),
            "montantRemiseGlobaleTTC": 0.0,
            "motifRemiseGlobaleTTC": None,
            "montantTtcTotal": _number(invoice.montant_ttc),
            "montantAPayer": _number(invoice.montant_a_payer),
        },
        "recapitulatifDeTva": {
            "ligneTva": [
                {
                    "ligneTvaTauxRefId": index,
                    "ligneTvaTauxRefCode": f"TVA{vat.rate.normalize():f}",
                    "ligneTvaTauxRefLibelle": f"TVA {vat.rate.normalize():f} %",
                    "ligneTvaTauxRefValeur": float(vat.rate),
                    "ligneTvaTauxManuel": None,
                    "ligneTvaMontantBaseHtParTaux": float(vat.base),
                    "ligneTvaMontantTvaParTaux": float(vat.amount),
                }
                for index, vat in enumerate(totals.vat_lines, start=1)
            ],
            "pageCouranteLignesRecapitulativesTVA": 1,
            "pagesLignesRecapitulativesTVA": 1,
            "nbResultatsParPageLignesRecapitulativesTVA": len(totals.vat_lines),
            "totalLignesRecapitulativesTVA": len(totals.vat_lines),
        },
        "lignesDePoste": {
            "lignePoste": [
                {
                    "lignePosteNumero": line["numero"],
                    "lignePosteReference": line["reference"],
                    "lignePosteDenomination": line["denomination"],
                    "lignePosteQuantite": float(Decimal(line["quantite"])),
                    "lignePosteUniteCode": line["unite"],
                    "lignePosteUniteLibelle": line["unite"],
                    "lignePosteMontantUnitaireHT": float(Decimal(line["prixUnitaireHT"])),
                    "lignePosteMontantRemiseHT": 0.0,
                    "lignePosteTauxTva": float(Decimal(line["tauxTva"])),
                    "lignePosteTauxTvaManuel": None,
                    "lignePosteMontantHtApresRemise": float(Decimal(line["montantHT"])),
                    "lignePosteMontantTva": float(Decimal(line["montantTva"])),
                    "lignePosteMontantTtcApresRemise": float(Decimal(line["montantHT"]) + Decimal(line["montantTva"])),
                }
                for line in invoice.lines
            ],
            "pageCouranteLignesPoste": 1,
            "pagesLignesPoste": 1,
            "nbResultatsParPageLignesPoste": len(invoice.lines),
            "totalLignesPoste": len(invoice.lines),
        },
        "pieceJointePrincipale": {"idLiaisonPieceJointePrincipale": None, "idPieceJointePrincipale": None},
        "listeDesPiecesJointes": {
            "pieceJointe": [
                {
                    "pieceJointeId": a["id"],
                    "pieceJointeIdLiaison": a["id"],
                    "pieceJointeTypeCode": a["type_code"],
                    "pieceJointeTypeLibelle": "Pièce jointe complémentaire",
                    "pieceJointeDesignation": a["designation"] or a["name"],
                    "pieceJointeNom": a["name"],
                    "pieceJointeNumeroLigneFacture": None,
                    "pieceJointeExtension": a["extension"],
                    "pieceJointeTaille": a["size"],
                }
                for a in attachments
            ],
            "pageCouranteListePiecesJointe": 1,
            "pagesListePiecesJointe": 1,
            "nbResultatsParPageListePiecesJointe": len(attachments),
            "totalListePiecesJointe": len(attachments),
        },
    }


# --- typed answers -------------------------------------------------------------------------------


def invoice_status_typed(invoice: Invoice) -> dict[str, Any]:
    """`factures/consulter` (GetInvoiceResponse)."""
    return {
        "returnCode": 0,
        "message": "Facture trouvée.",
        "chorusInvoiceId": invoice.pk,
        "invoiceNumber": invoice.numero_facture,
        "invoiceDate": _date(invoice.date_facture),
        "totalGrossAmount": _typed_amount(invoice.montant_ttc),
        "currentStatus": {
            "code": invoice.statut,
            "label": lc.status_label(invoice.statut),
            "date": iso_datetime(invoice.date_heure_etat_courant),
        },
        "recipientStructureId": invoice.recipient_id,
        "recipientStructureName": invoice.designation_destinataire,
    }


def structure_search(body: Body) -> dict[str, Any]:
    """`structures/rechercher` (SearchStructureResponse), over the whole directory."""
    identifier = body.str("structureIdentifier")
    identifier_type = body.str("structureIdentifierType")
    name = body.str("companyName")
    private_only = body.bool("restrictPrivateStructures")
    body.raise_if_errors()
    queryset = Structure.objects.all()
    if identifier:
        queryset = queryset.filter(identifier=identifier.strip())
    if identifier_type:
        queryset = queryset.filter(identifier_type__iexact=identifier_type.strip())
    if name:
        queryset = queryset.filter(name__icontains=name.strip())
    if private_only:
        queryset = queryset.filter(kind=Structure.Kind.PRIVATE)
    structures = [
        {
            "structureId": s.pk,
            "structureIdentifier": s.identifier,
            "structureName": s.name,
            "structureIdentifierType": s.identifier_type,
            "status": "ACTIVE" if s.is_active else "INACTIVE",
        }
        for s in queryset.order_by("name", "id")[:MAX_PAGE_SIZE]
    ]
    return {
        "returnCode": 0,
        "message": f"{len(structures)} structure(s) trouvée(s)." if structures else "Aucune structure trouvée.",
        "structures": structures,
        "total": len(structures),
    }


def structure_detail(structure_id: int) -> dict[str, Any]:
    """`structures/consulter` (GetStructureResponse)."""
    structure = Structure.objects.filter(pk=structure_id).first()
    if structure is None:
        return {"returnCode": 20001, "message": f"La structure {structure_id} est introuvable."}
    return {
        "returnCode": 0,
        "message": "Structure trouvée.",
        "structureId": structure.pk,
        "structureIdentifier": structure.identifier,
        "structureLabel": structure.name,
        "companyName": structure.name,
        "vatNumber": structure.vat_number,
        "structureEmail": structure.email,
        "parameters": {
            "serviceCodeRequired": structure.service_code_required,
            "engagementNumberRequired": structure.engagement_required,
            "engagementOrServiceManagement": structure.engagement_or_service,
        },
    }


def structure_services(structure_id: int) -> dict[str, Any]:
    """`structures/{id}/services` (SearchServicesResponse)."""
    if not Structure.objects.filter(pk=structure_id).exists():
        return {
            "returnCode": 20001,
            "message": f"La structure {structure_id} est introuvable.",
            "services": [],
            "total": 0,
        }
    services = [
        {"serviceId": s.pk, "serviceCode": s.code, "serviceLabel": s.label, "isActive": s.is_active}
        for s in Service.objects.filter(structure_id=structure_id).order_by("code")
    ]
    return {
        "returnCode": 0,
        "message": f"{len(services)} service(s)." if services else "Aucun service pour cette structure.",
        "services": services,
        "total": len(services),
    }


def structure_id_from_siret(*, siret: str, identifier_type: str) -> dict[str, Any]:
    """`structures/obtenir-id-depuis-siret` (GetChorusProIdResponse): 0 when none or several."""
    matches = list(
        Structure.objects.filter(identifier=siret.strip(), identifier_type__iexact=identifier_type or "SIRET")
        .order_by("id")
        .values_list("id", "name")[:2]
    )
    if len(matches) == 1:
        return {
            "structureId": matches[0][0],
            "structureIdentifier": siret,
            "structureName": matches[0][1],
            "message": "Structure trouvée.",
        }
    return {
        "structureId": 0,
        "structureIdentifier": siret,
        "structureName": None,
        "message": "Plusieurs structures correspondent à ce SIRET."
        if matches
        else "Aucune structure ne correspond à ce SIRET.",
    }
