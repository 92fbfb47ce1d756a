"""Every upstream key name, in one module: endpoints, request bodies and answer readers.

This is the file to change if the live FactPulse service differs from docs/contract.md (the
`factpulse_probe` command shows where). The rules:

* **send** the names FactPulse's own doc shows, native Chorus Pro names where it shows none;
* **read** tolerantly: both spellings of a key (FactPulse doc name and native name, and the
  v1/v2 snake_case names where known), unknown keys ignored, unknown status codes kept as
  they are, the three date formats, every amount as `Decimal`;
* a missing *required* key (an invoice id, a list that should be there) raises
  `FactPulseMalformed`, an error of its own kind.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from chorusweb import lifecycle
from chorusweb.factpulse import types as t
from chorusweb.factpulse.errors import FactPulseMalformed

#: Chorus Pro is a French service: a timestamp without an offset is Paris time.
CHORUS_TZ = ZoneInfo("Europe/Paris")

TOKEN_PATH = "/api/token/"  # noqa: S105 (a URL path, not a secret)
REFRESH_PATH = "/api/token/refresh/"
API_PREFIX = "/api/v1/chorus-pro/"

#: `codeRetour` of a search that found nothing: an empty page, not an error.
EMPTY_SEARCH_CODE = 20000
MAX_PAGE_SIZE = 1000
MAX_REASON_LENGTH = lifecycle.REASON_MAX_LENGTH
MAX_ATTACHMENT_NAME = 50
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
DOWNLOAD_FORMATS = ("ZIP", "PDF", "XML")
#: Keys that may carry the base64 document of `telecharger-groupe`.
DOWNLOAD_FILE_KEYS = ("fichierBase64", "fichierResultat")


# --- Endpoints -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """One of the 16 endpoints: where it is, whether it is a read, what the contract answers."""

    name: str  # the client's method name (snake_case of the API operation)
    method: str
    path: str  # after /api/v1/chorus-pro/ ; `{id}` for the structure id of `services`
    read: bool  # reads are retried on transient failures, writes never
    answer_keys: frozenset[str]
    list_key: str = ""  # key of the list whose items the probe inspects
    item_keys: frozenset[str] = frozenset()
    empty_code: int | None = None  # business code meaning "no result" (searches)

    def url_path(self, **params: Any) -> str:
        return API_PREFIX + self.path.format(**params)


def _keys(text: str) -> frozenset[str]:
    return frozenset(text.split())


RECEIVED_ROW_KEYS = _keys(
    "idFacture numeroFacture typeDemandePaiement typeFacture typeFactureTravaux statut "
    "dateHeureEtatCourant commentaireEtatCourant dateFacture dateDepot montantHT montantTTC "
    "montantAPayer devise codeFournisseur typeIdentifiantFournisseur designationFournisseur "
    "codeServiceFournisseur nomServiceFournisseur idDestinataire codeDestinataire "
    "designationDestinataire idServiceExecutant codeServiceExecutant nomServiceExecutant "
    "numeroMarche numeroBonCommande taille factureTelechargeeParDestinataire codeMOE "
    "typeIdentifiantMOE designationMOE codeMOA typeIdentifiantMOA designationMOA"
)
VALIDATOR_ROW_KEYS = _keys(
    "idFacture typeDemandePaiement idFournisseur identifiantFournisseur typeIdentifiantFournisseur "
    "designationFournisseur codeServiceFournisseur nomServiceFournisseur idMoe typeIdentifiantMoe "
    "identifiantMoe designationMoe idServiceMoe codeServiceMoe nomServiceMoe idMoa typeIdentifiantMoa "
    "identifiantMoa designationMoa idServiceMoa codeServiceMoa nomServiceMoa idDestinataire "
    "typeIdentifiantDestinataire identifiantDestinataire designationDestinataire idServiceExecutant "
    "codeServiceExecutant nomServiceExecutant idValideur typeIdentifiantValideur identifiantValideur "
    "designationValideur typeFacture typeFactureTravaux numeroFacture dateFacture dateDepot montantHT "
    "montantTTC montantAPayer devise statut numeroMarche numeroEngagement cadreDeFacturation "
    "dateHeureEtatCourant"
)
SUPPLIER_ROW_KEYS = _keys(
    "identifiantFactureCPP numeroFacture typeFacture cadreFacturation statut dateHeureEtatCourant "
    "commentaireEtatCourant dateFacture dateDepot numeroFluxDepot modeDepot montantHT montantTTC "
    "montantAPayer devise idDestinataire codeDestinataire designationDestinataire "
    "codeServiceExecutant nomServiceExecutant numeroMarche numeroBonCommande rejetTraite taille "
    "idFournisseur codeFournisseur designationFournisseur idServiceExecutant idValideur1 "
    "designationValideur1 dateValidation1 idValideur2 designationValideur2 dateValidation2"
)
DETAIL_KEYS = _keys(
    "identifiantFactureCPP numeroFacture statutFacture modeDepot commentaire fournisseur destinataire "
    "cadreDeFacturation references montantTotal recapitulatifDeTva lignesDePoste listeDesPiecesJointes "
    "pieceJointePrincipale"
)

_ENDPOINTS = (
    Endpoint(
        "rechercher_factures_destinataire",
        "POST",
        "factures/rechercher-destinataire",
        True,
        _keys("codeRetour libelle pageCourante pages nbResultatsParPage total listeFactures"),
        "listeFactures",
        RECEIVED_ROW_KEYS,
        EMPTY_SEARCH_CODE,
    ),
    Endpoint(
        "rechercher_factures_fournisseur",
        "POST",
        "factures/rechercher-fournisseur",
        True,
        _keys("codeRetour libelle parametresRetour listeFactures"),
        "listeFactures",
        SUPPLIER_ROW_KEYS,
        EMPTY_SEARCH_CODE,
    ),
    Endpoint(
        "valideur_rechercher_factures",
        "POST",
        "factures/valideur/rechercher",
        True,
        _keys("codeRetour libelle parametresRetour listeFactures"),
        "listeFactures",
        VALIDATOR_ROW_KEYS,
        EMPTY_SEARCH_CODE,
    ),
    Endpoint(
        "valideur_consulter_facture",
        "POST",
        "factures/valideur/consulter",
        True,
        _keys("codeRetour libelle") | DETAIL_KEYS,
    ),
    Endpoint(
        "consulter_facture",
        "POST",
        "factures/consulter",
        True,
        _keys(
            "returnCode message chorusInvoiceId invoiceNumber invoiceDate totalGrossAmount "
            "currentStatus recipientStructureId recipientStructureName"
        ),
    ),
    Endpoint(
        "rechercher_structures",
        "POST",
        "structures/rechercher",
        True,
        _keys("returnCode message structures total"),
        "structures",
        _keys("structureId structureIdentifier structureName structureIdentifierType status"),
        EMPTY_SEARCH_CODE,
    ),
    Endpoint(
        "consulter_structure",
        "POST",
        "structures/consulter",
        True,
        _keys(
            "returnCode message structureId structureIdentifier structureLabel companyName vatNumber "
            "structureEmail parameters"
        ),
    ),
    Endpoint(
        "lister_services_structure",
        "GET",
        "structures/{id}/services",
        True,
        _keys("returnCode message services total"),
        "services",
        _keys("serviceId serviceCode serviceLabel isActive"),
        EMPTY_SEARCH_CODE,
    ),
    Endpoint(
        "obtenir_id_depuis_siret",
        "POST",
        "structures/obtenir-id-depuis-siret",
        True,
        _keys("structureId structureIdentifier structureName message"),
    ),
    Endpoint(
        "telecharger_groupe_factures",
        "POST",
        "factures/telecharger-groupe",
        True,
        _keys("codeRetour libelle fichierBase64"),
    ),
    Endpoint(
        "traiter_facture_recue",
        "POST",
        "factures/traiter-facture-recue",
        False,
        _keys("codeRetour libelle idFacture numeroFacture dateTraitement nouveauStatut"),
    ),
    Endpoint(
        "valideur_traiter_facture",
        "POST",
        "factures/valideur/traiter",
        False,
        _keys("codeRetour libelle idFacture numeroFacture dateTraitement statutFacture"),
    ),
    Endpoint(
        "completer_facture",
        "POST",
        "factures/completer",
        False,
        _keys("codeRetour libelle identifiantFactureCPP numeroFacture dateTraitement"),
    ),
    Endpoint(
        "recycler_facture",
        "POST",
        "factures/recycler",
        False,
        _keys("codeRetour libelle identifiantFactureCPP numeroFacture statutFacture dateDepot"),
    ),
    Endpoint(
        "soumettre_facture",
        "POST",
        "factures/soumettre",
        False,
        _keys("returnCode message chorusInvoiceId depositFlowNumber"),
    ),
    Endpoint(
        "ajouter_fichier",
        "POST",
        "transverses/ajouter-fichier",
        False,
        _keys("codeRetour libelle pieceJointeIdFichier"),
    ),
)

ENDPOINTS: Mapping[str, Endpoint] = MappingProxyType({e.name: e for e in _ENDPOINTS})

#: Groups of spellings read as the same key (FactPulse doc name, native name, older names).
#: The readers below use them; the probe uses them to tell "other spelling" from "missing".
KEY_ALIASES: tuple[frozenset[str], ...] = (
    frozenset({"idFacture", "identifiantFactureCPP", "identifiant_facture_cpp"}),
    frozenset({"fichierBase64", "fichierResultat"}),
    frozenset({"pieceJointeIdFichier", "pieceJointeId"}),
    frozenset({"codeRetour", "returnCode", "code_retour"}),
    frozenset({"libelle", "message"}),
    frozenset({"statut", "statutFacture", "statutCourant"}),
    frozenset({"codeFournisseur", "identifiantFournisseur"}),
    frozenset({"codeDestinataire", "identifiantDestinataire"}),
    frozenset({"cadreDeFacturation", "cadreFacturation", "codeCadreFacturation"}),
    frozenset({"nouveauStatut", "statutFacture"}),
    frozenset({"structures", "liste_structures"}),
    frozenset({"services", "liste_services"}),
    frozenset({"chorusInvoiceId", "identifiant_facture_cpp"}),
)


def aliases_of(key: str) -> frozenset[str]:
    found = {key}
    for group in KEY_ALIASES:
        if key in group:
            found |= group
    return frozenset(found)


# --- Scalar readers ------------------------------------------------------------------------

_DMY = re.compile(r"^(\d{2})/(\d{2})/(\d{4})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$")


def parse_datetime(value: Any) -> datetime | None:
    """An aware datetime from `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]` or ISO 8601 with offset.

    A value without an offset is Paris time; a bare date is midnight, Paris time. Epoch
    numbers (seconds or milliseconds) and `DD/MM/YYYY` are read too. Anything else is None.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float, Decimal)):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds
            seconds /= 1000
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            match = _DMY.match(text)
            if not match:
                return None
            day, month, year, hour, minute, second = match.groups()
            try:
                parsed = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
            except ValueError:
                return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=CHORUS_TZ)
    return parsed


def parse_date(value: Any) -> date | None:
    """A date from any of the formats of `parse_datetime` (its Paris calendar day)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    parsed = parse_datetime(value)
    if parsed is None:
        return None
    return parsed.astimezone(CHORUS_TZ).date()


def to_decimal(value: Any) -> Decimal | None:
    """A Decimal from a JSON number or string (`"1250.50"`, `"1 250,50"`); never a float."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))  # the shortest repr, not the binary expansion
    elif isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        if not text:
            return None
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        try:
            result = Decimal(text)
        except InvalidOperation:
            return None
    else:
        return None
    if not result.is_finite():
        return None
    return result


def to_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, (float, Decimal)):
        if not math.isfinite(value) or value != int(value):
            return None
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        if re.fullmatch(r"-?\d+\.0*", text):
            return int(text.split(".")[0])
    return None


_TRUE = {"true", "oui", "yes", "1", "o", "y", "vrai"}
_FALSE = {"false", "non", "no", "0", "n", "faux", ""}


def to_bool(value: Any) -> bool | None:
    """True/False from booleans, 0/1 and the strings OUI/NON, true/false; None if unknown."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, Decimal)):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def to_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return ""
    return str(value).strip()


def _pick(data: Mapping[str, Any], keys: Iterable[str]) -> Any:
    for key in keys:
        value = data.get(key)
        if value is not None and value != "":
            return value
    return None


def _s(data: Mapping[str, Any], *keys: str) -> str:
    return to_str(_pick(data, keys))


def _i(data: Mapping[str, Any], *keys: str) -> int | None:
    return to_int(_pick(data, keys))


def _d(data: Mapping[str, Any], *keys: str) -> Decimal | None:
    return to_decimal(_pick(data, keys))


def _date(data: Mapping[str, Any], *keys: str) -> date | None:
    return parse_date(_pick(data, keys))


def _dt(data: Mapping[str, Any], *keys: str) -> datetime | None:
    return parse_datetime(_pick(data, keys))


def _b(data: Mapping[str, Any], *keys: str) -> bool | None:
    return to_bool(_pick(data, keys))


def _obj(data: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    for key in keys:
        value = data.get(key)
        if isinstance(value, Mapping):
            return value
    return {}


def _status(data: Mapping[str, Any], *keys: str) -> str:
    """A status code as received (upper-cased, the doc's hyphen read as underscore)."""
    value = _pick(data, keys)
    if isinstance(value, Mapping):  # {code, label} shapes
        value = _pick(value, ("code", "codeStatut", "statut"))
    text = to_str(value)
    return lifecycle.normalise_status(text) if text else ""


def _require_mapping(body: Any, endpoint: str) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise FactPulseMalformed(
            f"The answer of {endpoint} is not a JSON object.", endpoint=endpoint, details=type(body).__name__
        )
    return body


def _require_id(data: Mapping[str, Any], endpoint: str, *keys: str) -> int:
    value = _i(data, *keys)
    if value is None:
        raise FactPulseMalformed(
            f"An item of {endpoint} has no usable {' / '.join(keys)}.",
            endpoint=endpoint,
            details={"missing": list(keys), "keys": sorted(data)[:40]},
        )
    return value


def _frozen(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(data))


def message_of(body: Mapping[str, Any]) -> str:
    return _s(body, "libelle", "message", "errorMessage")


# --- Request builders ----------------------------------------------------------------------


def format_date(value: date | None) -> str | None:
    """`YYYY-MM-DD` for a request (a datetime is sent as its date)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(CHORUS_TZ)
        return value.date().isoformat()
    return value.isoformat()


def format_amount(value: Decimal | int | str | None) -> str | None:
    """An amount for the typed endpoints: a string with two decimals (`"1250.50"`)."""
    if value is None:
        return None
    amount = to_decimal(value)
    if amount is None:
        raise ValueError(f"Not an amount: {value!r}")
    return f"{amount.quantize(Decimal('0.01')):f}"


def _number(value: Decimal | int | None) -> int | float | None:
    """An amount as a JSON number for native filters (bounds only; results are read as Decimal)."""
    if value is None:
        return None
    amount = to_decimal(value)
    if amount is None:
        raise ValueError(f"Not an amount: {value!r}")
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _compact(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None and v != [] and v != ""}


def _check_paging(page: int, page_size: int) -> None:
    if page < 1:
        raise ValueError("page is 1-based")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")


def _paging(page: int, page_size: int, sort_column: str | None, sort_desc: bool) -> dict[str, Any]:
    _check_paging(page, page_size)
    return _compact(
        {
            "pageResultatDemandee": page,
            "nbResultatsParPage": page_size,
            "triColonne": sort_column,
            "triSens": "Descendant" if sort_desc else "Ascendant",
        }
    )


def _statuses(statuses: Sequence[str] | None) -> list[str] | None:
    if not statuses:
        return None
    if isinstance(statuses, str):
        statuses = [statuses]
    return [lifecycle.normalise_status(s) for s in statuses]


def build_recipient_search(
    *,
    statuses: Sequence[str] | None,
    deposited_from: date | None,
    deposited_to: date | None,
    status_changed_from: date | None,
    status_changed_to: date | None,
    downloaded: bool | None,
    recipient_id: int | None,
    service_id: int | None,
    invoice_number: str | None,
    amount_min: Decimal | None,
    amount_max: Decimal | None,
    page: int,
    page_size: int,
    sort_column: str | None,
    sort_desc: bool,
) -> dict[str, Any]:
    body = _compact(
        {
            "statutCourant": _statuses(statuses),
            "periodeDateDepotDu": format_date(deposited_from),
            "periodeDateDepotAu": format_date(deposited_to),
            "periodeDateHeureEtatCourantDu": format_date(status_changed_from),
            "periodeDateHeureEtatCourantAu": format_date(status_changed_to),
            "factureTelechargeeParDestinataire": downloaded,
            "idDestinataire": recipient_id,
            "idServiceExecutant": service_id,
            "numeroFacture": invoice_number,
            "montantTTCMin": _number(amount_min),
            "montantTTCMax": _number(amount_max),
        }
    )
    body["paramRecherche"] = _paging(page, page_size, sort_column, sort_desc)
    return body


def build_supplier_search(
    *,
    statuses: Sequence[str] | None,
    deposited_from: date | None,
    deposited_to: date | None,
    invoice_number: str | None,
    recipient_id: int | None,
    deposit_flow_number: str | None,
    amount_min: Decimal | None,
    amount_max: Decimal | None,
    page: int,
    page_size: int,
    sort_column: str | None,
    sort_desc: bool,
) -> dict[str, Any]:
    body = _compact(
        {
            "statutCourant": _statuses(statuses),
            "periodeDateDepotDu": format_date(deposited_from),
            "periodeDateDepotAu": format_date(deposited_to),
            "numeroFacture": invoice_number,
            "listeDestinataire": [{"idDestinataire": recipient_id}] if recipient_id else None,
            "numeroFluxDepot": deposit_flow_number,
            "montantTTCMin": _number(amount_min),
            "montantTTCMax": _number(amount_max),
        }
    )
    body["rechercheFactureParFournisseur"] = _paging(page, page_size, sort_column, sort_desc)
    return body


def build_validator_search(
    *,
    statuses: Sequence[str] | None,
    deposited_from: date | None,
    deposited_to: date | None,
    invoice_number: str | None,
    recipient_id: int | None,
    service_id: int | None,
    supplier_id: int | None,
    framework: str | None,
    amount_min: Decimal | None,
    amount_max: Decimal | None,
    page: int,
    page_size: int,
    sort_column: str | None,
    sort_desc: bool,
) -> dict[str, Any]:
    body = _compact(
        {
            "statutCourant": _statuses(statuses),
            "periodeDateDepotDu": format_date(deposited_from),
            "periodeDateDepotAu": format_date(deposited_to),
            "numeroFacture": invoice_number,
            "idDestinataire": recipient_id,
            "idServiceExecutant": service_id,
            "idFournisseur": supplier_id,
            "cadreFacturation": framework,
            "montantTTCMin": _number(amount_min),
            "montantTTCMax": _number(amount_max),
        }
    )
    body["pagination"] = _paging(page, page_size, sort_column, sort_desc)
    return body


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
    return _compact(
        {
            "identifiantFactureCPP": int(invoice_id),
            "nouveauStatut": status,
            "motifRejet": reason,
            "commentaire": comment,
            "numeroDPMandat": mandate_number,
        }
    )


def build_validator_process(
    *, invoice_id: int, action: str, reason: str | None, complement: str | None
) -> dict[str, Any]:
    action = (action or "").strip().upper()
    if action not in lifecycle.VALIDATION_ACTIONS:
        raise ValueError(f"action must be one of {', '.join(lifecycle.VALIDATION_ACTIONS)}")
    if reason and len(reason) > MAX_REASON_LENGTH:
        raise ValueError(f"reason is limited to {MAX_REASON_LENGTH} characters")
    return _compact(
        {"idFacture": int(invoice_id), "action": action, "motifRefus": reason, "complementInfo": complement}
    )


def build_download(*, invoice_ids: Sequence[int], file_format: str, include_attachments: bool) -> dict[str, Any]:
    ids = [int(i) for i in invoice_ids]
    if not ids:
        raise ValueError("invoice_ids is empty")
    file_format = (file_format or "").upper()
    if file_format not in DOWNLOAD_FORMATS:
        raise ValueError(f"file_format must be one of {', '.join(DOWNLOAD_FORMATS)}")
    return {
        "listeIdentifiantsFactureCPP": ids,
        "inclurePiecesJointes": bool(include_attachments),
        "formatFichier": file_format,
    }


def build_complete(*, invoice_id: int, comment: str | None, attachments: Sequence[t.AttachmentRef]) -> dict[str, Any]:
    return _compact(
        {
            "identifiantFactureCPP": int(invoice_id),
            "commentaire": comment,
            "listePiecesJointes": [
                {"pieceJointeIdFichier": int(a.attachment_id), "pieceJointeNom": a.name} for a in attachments
            ],
        }
    )


def build_recycle(
    *,
    invoice_id: int,
    structure_id: int | None,
    service_code: str | None,
    engagement_number: str | None,
) -> dict[str, Any]:
    return _compact(
        {
            "identifiantFactureCPP": int(invoice_id),
            "idStructureCPP": structure_id,
            "codeService": service_code,
            "numeroEngagement": engagement_number,
        }
    )


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
    return _compact(
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


def build_structure_search(
    *,
    identifier: str | None,
    identifier_type: str | None,
    company_name: str | None,
    restrict_private: bool,
) -> dict[str, Any]:
    body = _compact(
        {
            "structureIdentifier": identifier,
            "structureIdentifierType": identifier_type,
            "companyName": company_name,
        }
    )
    body["restrictPrivateStructures"] = bool(restrict_private)
    return body


def credentials_body(
    *, piste_client_id: str, piste_client_secret: str, login: str, password: str, sandbox: bool
) -> dict[str, Any]:
    """The zero-trust `credentials` object (JSON names of the chorus-pro endpoints)."""
    return {
        "pisteClientId": piste_client_id,
        "pisteClientSecret": piste_client_secret,
        "chorusProLogin": login,
        "chorusProPassword": password,
        "sandbox": bool(sandbox),
    }


# --- Answer readers ------------------------------------------------------------------------


def _page_numbers(body: Mapping[str, Any], items: int, requested_page: int, page_size: int) -> tuple:
    meta = _obj(body, "parametresRetour", "parametreRetour", "pagination")
    source: Mapping[str, Any] = meta or body
    page = _i(source, "pageCourante", "page") or _i(body, "pageCourante") or requested_page
    size = _i(source, "nbResultatsParPage", "pageSize") or _i(body, "nbResultatsParPage") or page_size
    total = _i(source, "total", "nbResultats")
    if total is None:
        total = _i(body, "total")
    if total is None:
        total = items if page == 1 else (page - 1) * size + items
    pages = _i(source, "pages", "nbPages")
    if pages is None:
        pages = _i(body, "pages")
    if pages is None:
        pages = math.ceil(total / size) if size else (1 if items else 0)
    return page, pages, size, total


def _read_list(
    body: Mapping[str, Any], endpoint: str, keys: Sequence[str], *, required: bool
) -> list[Mapping[str, Any]]:
    value = _pick(body, keys)
    if value is None:
        if required:
            raise FactPulseMalformed(
                f"The answer of {endpoint} has no {keys[0]}.",
                endpoint=endpoint,
                details={"missing": list(keys), "keys": sorted(body)[:40]},
            )
        return []
    if isinstance(value, Mapping):  # a single item sent as an object
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise FactPulseMalformed(f"{keys[0]} of {endpoint} is not a list of objects.", endpoint=endpoint)
    return value


def _read_page[R](
    body: Any,
    endpoint: str,
    reader: Callable[[Mapping[str, Any], str], R],
    *,
    list_keys: Sequence[str] = ("listeFactures", "factures"),
    requested_page: int = 1,
    page_size: int = 0,
) -> t.Page[R]:
    data = _require_mapping(body, endpoint)
    code = to_int(_pick(data, ("codeRetour", "returnCode")))
    if code == EMPTY_SEARCH_CODE:
        return t.Page(items=(), page=requested_page, pages=0, page_size=page_size, total=0)
    rows = _read_list(data, endpoint, list_keys, required=False)
    if not rows and _pick(data, list_keys) is None:
        # No list at all: only acceptable if the answer says there is nothing to list.
        total = _i(_obj(data, "parametresRetour") or data, "total")
        if total not in (None, 0):
            _read_list(data, endpoint, list_keys, required=True)
    items = tuple(reader(row, endpoint) for row in rows)
    page, pages, size, total = _page_numbers(data, len(items), requested_page, page_size)
    return t.Page(items=items, page=page, pages=pages, page_size=size, total=total)


def read_received_row(row: Mapping[str, Any], endpoint: str = "rechercher-destinataire") -> t.ReceivedInvoiceRow:
    return t.ReceivedInvoiceRow(
        invoice_id=_require_id(row, endpoint, "idFacture", "identifiantFactureCPP"),
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
        raw=_frozen(row),
    )


def _framework(row: Mapping[str, Any]) -> str:
    value = _pick(row, ("cadreDeFacturation", "cadreFacturation", "codeCadreFacturation"))
    if isinstance(value, Mapping):
        return _s(value, "codeCadreFacturation", "code")
    return to_str(value)


def read_validator_row(row: Mapping[str, Any], endpoint: str = "valideur/rechercher") -> t.ValidatorInvoiceRow:
    return t.ValidatorInvoiceRow(
        invoice_id=_require_id(row, endpoint, "idFacture", "identifiantFactureCPP"),
        invoice_number=_s(row, "numeroFacture"),
        invoice_type=_s(row, "typeFacture"),
        payment_request_type=_s(row, "typeDemandePaiement"),
        works_invoice_type=_s(row, "typeFactureTravaux"),
        framework=_framework(row),
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
        raw=_frozen(row),
    )


def read_supplier_row(row: Mapping[str, Any], endpoint: str = "rechercher-fournisseur") -> t.SupplierInvoiceRow:
    return t.SupplierInvoiceRow(
        invoice_id=_require_id(row, endpoint, "identifiantFactureCPP", "idFacture"),
        invoice_number=_s(row, "numeroFacture"),
        invoice_type=_s(row, "typeFacture"),
        framework=_framework(row),
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
        raw=_frozen(row),
    )


def read_recipient_search(body: Any, *, page: int = 1, page_size: int = 0) -> t.Page[t.ReceivedInvoiceRow]:
    return _read_page(
        body, "factures/rechercher-destinataire", read_received_row, requested_page=page, page_size=page_size
    )


def read_supplier_search(body: Any, *, page: int = 1, page_size: int = 0) -> t.Page[t.SupplierInvoiceRow]:
    return _read_page(
        body, "factures/rechercher-fournisseur", read_supplier_row, requested_page=page, page_size=page_size
    )


def read_validator_search(body: Any, *, page: int = 1, page_size: int = 0) -> t.Page[t.ValidatorInvoiceRow]:
    return _read_page(
        body, "factures/valideur/rechercher", read_validator_row, requested_page=page, page_size=page_size
    )


def read_invoice(body: Any) -> t.InvoiceSummary:
    data = _require_mapping(body, "factures/consulter")
    status_obj = _pick(data, ("currentStatus", "statut_courant", "statutCourant"))
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
        raw=_frozen(data),
    )


def read_submission(body: Any) -> t.SubmissionResult:
    data = _require_mapping(body, "factures/soumettre")
    invoice_id = _i(data, "chorusInvoiceId", "identifiant_facture_cpp", "identifiantFactureCPP")
    if invoice_id is None:
        raise FactPulseMalformed(
            "The answer of factures/soumettre has no chorusInvoiceId.", endpoint="factures/soumettre"
        )
    return t.SubmissionResult(
        invoice_id=invoice_id,
        deposit_flow_number=_s(data, "depositFlowNumber", "numero_flux_depot", "numeroFluxDepot"),
        message=message_of(data),
        raw=_frozen(data),
    )


def read_structure_search(body: Any) -> t.Page[t.Structure]:
    endpoint = "structures/rechercher"
    data = _require_mapping(body, endpoint)
    if to_int(_pick(data, ("returnCode", "codeRetour"))) == EMPTY_SEARCH_CODE:
        return t.Page(items=(), page=1, pages=0, page_size=0, total=0)
    rows = _read_list(data, endpoint, ("structures", "liste_structures", "listeStructures"), required=False)
    items = tuple(
        t.Structure(
            structure_id=_require_id(row, endpoint, "structureId", "id_structure_cpp", "idStructureCPP"),
            identifier=_s(row, "structureIdentifier", "identifiant_structure", "identifiantStructure"),
            name=_s(row, "structureName", "designation_structure", "designationStructure"),
            identifier_type=_s(row, "structureIdentifierType", "type_identifiant_structure"),
            status=_s(row, "status", "statut"),
        )
        for row in rows
    )
    total = _i(data, "total")
    if total is None:
        total = len(items)
    return t.Page(items=items, page=1, pages=1 if items else 0, page_size=len(items), total=total)


def read_structure(body: Any) -> t.StructureDetail:
    data = _require_mapping(body, "structures/consulter")
    params = _obj(data, "parameters", "parametres")
    return t.StructureDetail(
        structure_id=_i(data, "structureId", "id_structure_cpp"),
        identifier=_s(data, "structureIdentifier", "identifiant_structure"),
        label=_s(data, "structureLabel", "libelle_structure"),
        company_name=_s(data, "companyName", "raison_sociale_structure"),
        vat_number=_s(data, "vatNumber", "numero_tva"),
        email=_s(data, "structureEmail", "email_structure"),
        service_code_required=bool(_b(params, "serviceCodeRequired", "code_service_doit_etre_renseigne")),
        engagement_number_required=bool(_b(params, "engagementNumberRequired", "numero_ej_doit_etre_renseigne")),
        engagement_or_service_management=bool(
            _b(params, "engagementOrServiceManagement", "gestion_numero_ej_ou_code_service")
        ),
        message=message_of(data),
        raw=_frozen(data),
    )


def read_services(body: Any) -> tuple[t.Service, ...]:
    endpoint = "structures/{id}/services"
    data = _require_mapping(body, endpoint)
    if to_int(_pick(data, ("returnCode", "codeRetour"))) == EMPTY_SEARCH_CODE:
        return ()
    rows = _read_list(data, endpoint, ("services", "liste_services", "listeServices"), required=False)
    return tuple(
        t.Service(
            service_id=_i(row, "serviceId", "id_service", "idService"),
            code=_s(row, "serviceCode", "code_service", "codeService"),
            label=_s(row, "serviceLabel", "libelle_service", "libelleService"),
            active=_b(row, "isActive", "est_actif", "estActif") is not False,
        )
        for row in rows
    )


def read_structure_lookup(body: Any) -> t.StructureLookup:
    data = _require_mapping(body, "structures/obtenir-id-depuis-siret")
    structure_id = _i(data, "structureId", "id_structure_cpp", "idStructureCPP")
    return t.StructureLookup(
        structure_id=structure_id or None,
        identifier=_s(data, "structureIdentifier", "identifiant_structure"),
        name=_s(data, "structureName", "designation_structure"),
        message=message_of(data),
    )


def read_processing(body: Any) -> t.ProcessingResult:
    data = _require_mapping(body, "factures/traiter-facture-recue")
    return t.ProcessingResult(
        invoice_id=_i(data, "idFacture", "identifiantFactureCPP"),
        invoice_number=_s(data, "numeroFacture"),
        new_status=_status(data, "nouveauStatut", "statutFacture", "statut"),
        processed_at=_dt(data, "dateTraitement"),
        message=message_of(data),
        raw=_frozen(data),
    )


def read_validation(body: Any) -> t.ValidationResult:
    data = _require_mapping(body, "factures/valideur/traiter")
    return t.ValidationResult(
        invoice_id=_i(data, "idFacture", "identifiantFactureCPP"),
        invoice_number=_s(data, "numeroFacture"),
        status=_status(data, "statutFacture", "nouveauStatut", "statut"),
        processed_at=_dt(data, "dateTraitement"),
        message=message_of(data),
        raw=_frozen(data),
    )


def read_completion(body: Any) -> t.CompletionResult:
    data = _require_mapping(body, "factures/completer")
    return t.CompletionResult(
        invoice_id=_i(data, "identifiantFactureCPP", "idFacture"),
        invoice_number=_s(data, "numeroFacture"),
        processed_at=_dt(data, "dateTraitement"),
        message=message_of(data),
        raw=_frozen(data),
    )


def read_recycle(body: Any) -> t.RecycleResult:
    data = _require_mapping(body, "factures/recycler")
    return t.RecycleResult(
        invoice_id=_i(data, "identifiantFactureCPP", "idFacture"),
        invoice_number=_s(data, "numeroFacture"),
        status=_status(data, "statutFacture", "statut"),
        deposited_at=_dt(data, "dateDepot"),
        message=message_of(data),
        raw=_frozen(data),
    )


def read_upload(body: Any) -> t.UploadedFile:
    endpoint = "transverses/ajouter-fichier"
    data = _require_mapping(body, endpoint)
    return t.UploadedFile(
        attachment_id=_require_id(data, endpoint, "pieceJointeIdFichier", "pieceJointeId"),
        message=message_of(data),
        raw=_frozen(data),
    )


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
    data = _require_mapping(body, endpoint)
    inner = _obj(data, "facture")
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
    supplier = _obj(doc, "fournisseur")
    recipient = _obj(doc, "destinataire")
    frame = _obj(doc, "cadreDeFacturation", "cadreFacturation")
    references = _obj(doc, "references")
    totals = _obj(doc, "montantTotal", "montantsTotaux")
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
    main = _obj(doc, "pieceJointePrincipale")
    return t.ValidatorInvoiceDetail(
        invoice_id=found_id,
        invoice_number=_s(doc, "numeroFacture"),
        status=_status(doc, "statutFacture", "statut", "statutCourant"),
        framework=_framework(doc) if not frame else _s(frame, "codeCadreFacturation", "code"),
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
            raw=_frozen(supplier),
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
            raw=_frozen(recipient),
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
        raw=_frozen(data),
    )


def detect_kind(head: bytes) -> str:
    """`pdf`, `xml`, `zip` or `unknown` from a file's first bytes."""
    stripped = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK"):
        return "zip"
    if stripped.startswith(b"<"):
        return "xml"
    return "unknown"
