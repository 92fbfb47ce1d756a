"""The structure directory: find a public structure by SIRET or name, its parameters, its services.

Reads of `structures/rechercher`, `structures/obtenir-id-depuis-siret`, `structures/consulter`
and `structures/{id}/services`, kept a while in the cache (a structure's parameters and
services change seldom; the submit form reads them at each step).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.cache import cache

from chorusweb.factpulse import FactPulseError, get_client, types
from chorusweb.models import Connection

#: Seconds a directory answer stays in the cache.
DIRECTORY_TTL = 3600
SIRET = re.compile(r"\A\d{14}\Z")


@dataclass(frozen=True)
class StructureInfo:
    """What the forms need of a structure: who it is, what it requires, its services."""

    structure_id: int
    identifier: str
    name: str
    service_code_required: bool
    engagement_number_required: bool
    services: tuple[types.Service, ...]

    @property
    def active_services(self) -> tuple[types.Service, ...]:
        return tuple(s for s in self.services if s.active and s.code)

    def service_label(self, code: str) -> str:
        return next((s.label for s in self.services if s.code == code), "")


def _key(connection: Connection, *parts) -> str:
    return ":".join(["chorusweb", "directory", str(connection.pk), *(str(p) for p in parts)])


def normalise_siret(text: str) -> str:
    return re.sub(r"[\s.]", "", text or "")


def structures_find(*, connection: Connection, query: str) -> list[types.Structure]:
    """Public structures matching a SIRET (14 digits) or part of a name. Raises FactPulseError."""
    query = (query or "").strip()
    if not query:
        return []
    client = get_client(connection)
    siret = normalise_siret(query)
    if SIRET.match(siret):
        found = client.obtenir_id_depuis_siret(siret=siret)
        if found.found:
            return [types.Structure(structure_id=found.structure_id, identifier=siret, name=found.name)]
        page = client.rechercher_structures(identifier=siret, identifier_type="SIRET")
    else:
        page = client.rechercher_structures(company_name=query)
    return [s for s in page.items if (s.status or "ACTIVE").upper() != "INACTIVE"][:50]


def structure_info(*, connection: Connection, structure_id: int, fresh: bool = False) -> StructureInfo:
    """A structure's parameters (`consulter`) and services, cached. Raises FactPulseError."""
    key = _key(connection, "structure", int(structure_id))
    if not fresh and (cached := cache.get(key)) is not None:
        return cached
    client = get_client(connection)
    detail = client.consulter_structure(structure_id=int(structure_id))
    services = client.lister_services_structure(structure_id=int(structure_id))
    info = StructureInfo(
        structure_id=int(structure_id),
        identifier=detail.identifier,
        name=detail.company_name or detail.label,
        service_code_required=detail.service_code_required,
        engagement_number_required=detail.engagement_number_required,
        services=tuple(services),
    )
    cache.set(key, info, DIRECTORY_TTL)
    return info


def structure_info_or_none(*, connection: Connection, structure_id: int | None) -> StructureInfo | None:
    """Like `structure_info`, None when upstream cannot say (pages that can do without it)."""
    if not structure_id:
        return None
    try:
        return structure_info(connection=connection, structure_id=structure_id)
    except FactPulseError:
        return None


def recipient_names(*, connection: Connection, identifier: str, service_code: str = "") -> tuple[str, str] | None:
    """(structure name, service label) of a recipient SIRET, from the cache only, or None.

    Used on pages that must not wait on upstream: the cache is filled by `recipient_names_fill`.
    """
    return cache.get(_key(connection, "siret", identifier, service_code))


def recipient_names_fill(*, connection: Connection, identifier: str, service_code: str = "") -> tuple[str, str] | None:
    """Look a recipient SIRET up in the directory and cache its name and service label."""
    key = _key(connection, "siret", identifier, service_code)
    if (cached := cache.get(key)) is not None:
        return cached
    try:
        found = get_client(connection).obtenir_id_depuis_siret(siret=identifier)
        if not found.found:
            return None
        info = structure_info(connection=connection, structure_id=found.structure_id)
    except FactPulseError:
        return None
    names = (info.name or found.name, info.service_label(service_code) if service_code else "")
    cache.set(key, names, DIRECTORY_TTL)
    return names
