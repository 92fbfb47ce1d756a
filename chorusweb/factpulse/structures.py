"""Structures (public entities and companies) and their services.

Endpoints `structures/rechercher`, `structures/consulter`, `structures/{id}/services` and
`structures/obtenir-id-depuis-siret`: their request builders and answer readers, side by side.
"""

from __future__ import annotations

from typing import Any

from chorusweb.factpulse import types as t
from chorusweb.factpulse.coerce import compact, frozen
from chorusweb.factpulse.coerce import pick_bool as _b
from chorusweb.factpulse.coerce import pick_int as _i
from chorusweb.factpulse.coerce import pick_object as _o
from chorusweb.factpulse.coerce import pick_str as _s
from chorusweb.factpulse.envelope import (
    EMPTY_SEARCH_CODE,
    Endpoint,
    is_empty_search,
    message_of,
    read_list,
    require_id,
    require_mapping,
)

# --- structures/rechercher -----------------------------------------------------------------


def build_structure_search(
    *,
    identifier: str | None,
    identifier_type: str | None,
    company_name: str | None,
    restrict_private: bool,
) -> dict[str, Any]:
    body = compact(
        {
            "structureIdentifier": identifier,
            "structureIdentifierType": identifier_type,
            "companyName": company_name,
        }
    )
    body["restrictPrivateStructures"] = bool(restrict_private)
    return body


def read_structure_search(body: Any) -> t.Page[t.Structure]:
    endpoint = "structures/rechercher"
    data = require_mapping(body, endpoint)
    if is_empty_search(data):
        return t.Page(items=(), page=1, pages=0, page_size=0, total=0)
    rows = read_list(data, endpoint, ("structures", "liste_structures", "listeStructures"), required=False)
    items = tuple(
        t.Structure(
            structure_id=require_id(row, endpoint, "structureId", "id_structure_cpp", "idStructureCPP"),
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


# --- structures/consulter ------------------------------------------------------------------


def build_structure_consult(*, structure_id: int, language: str) -> dict[str, Any]:
    return {"structureId": int(structure_id), "languageCode": language}


def read_structure(body: Any) -> t.StructureDetail:
    data = require_mapping(body, "structures/consulter")
    params = _o(data, "parameters", "parametres")
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
        raw=frozen(data),
    )


# --- structures/{id}/services --------------------------------------------------------------


def read_services(body: Any) -> tuple[t.Service, ...]:
    endpoint = "structures/{id}/services"
    data = require_mapping(body, endpoint)
    if is_empty_search(data):
        return ()
    rows = read_list(data, endpoint, ("services", "liste_services", "listeServices"), required=False)
    return tuple(
        t.Service(
            service_id=_i(row, "serviceId", "id_service", "idService"),
            code=_s(row, "serviceCode", "code_service", "codeService"),
            label=_s(row, "serviceLabel", "libelle_service", "libelleService"),
            active=_b(row, "isActive", "est_actif", "estActif") is not False,
        )
        for row in rows
    )


# --- structures/obtenir-id-depuis-siret ----------------------------------------------------


def build_siret_lookup(*, siret: str, identifier_type: str) -> dict[str, Any]:
    return {"siret": siret, "identifierType": identifier_type}


def read_structure_lookup(body: Any) -> t.StructureLookup:
    data = require_mapping(body, "structures/obtenir-id-depuis-siret")
    structure_id = _i(data, "structureId", "id_structure_cpp", "idStructureCPP")
    return t.StructureLookup(
        structure_id=structure_id or None,
        identifier=_s(data, "structureIdentifier", "identifiant_structure"),
        name=_s(data, "structureName", "designation_structure"),
        message=message_of(data),
    )


ENDPOINTS = (
    Endpoint("rechercher_structures", "POST", "structures/rechercher", True, read_structure_search, EMPTY_SEARCH_CODE),
    Endpoint("consulter_structure", "POST", "structures/consulter", True, read_structure),
    Endpoint("lister_services_structure", "GET", "structures/{id}/services", True, read_services, EMPTY_SEARCH_CODE),
    Endpoint("obtenir_id_depuis_siret", "POST", "structures/obtenir-id-depuis-siret", True, read_structure_lookup),
)
