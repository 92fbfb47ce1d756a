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
from chorusweb.forms import is_id
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


# --- The structures a connection sees (admin: test a connection, pick service codes) -----------

#: Structures read (with their parameters and services) by a connection test, at most.
TEST_STRUCTURES_MAX = 10


@dataclass(frozen=True)
class ConnectionReport:
    """What a connection test found, said in plain French."""

    ok: bool
    message: str
    structures: tuple[StructureInfo, ...] = ()


def _seen_structure_ids(connection: Connection) -> list[int]:
    """The public structures the account receives invoices for (upstream first, else the mirror)."""
    page = get_client(connection).rechercher_factures_destinataire(page_size=200)
    ids = list(dict.fromkeys(r.recipient_id for r in page.items if r.recipient_id))
    if not ids:
        from invoices.models import ReceivedInvoice

        ids = list(
            ReceivedInvoice.objects.filter(connection=connection, recipient_id__isnull=False)
            .order_by()
            .values_list("recipient_id", flat=True)
            .distinct()[:TEST_STRUCTURES_MAX]
        )
    return ids[:TEST_STRUCTURES_MAX]


def connection_test(connection: Connection) -> ConnectionReport:
    """Log in, read the account's structures with their parameters: what works or what is wrong."""
    from django.utils.translation import gettext as _

    from chorusweb.factpulse import FactPulseAuthError, FactPulseUnavailable

    client = get_client(connection)
    client.forget_token()
    try:
        client.login()
    except FactPulseAuthError:
        return ConnectionReport(
            False,
            _(
                "Connexion refusée : FactPulse ne reconnaît pas l'adresse %(email)s avec ce mot de passe. "
                "Vérifiez les identifiants du compte FactPulse."
            )
            % {"email": connection.account_email},
        )
    except FactPulseUnavailable:
        return ConnectionReport(
            False,
            _("FactPulse ne répond pas à l'adresse %(url)s. Vérifiez l'adresse de l'API ou réessayez plus tard.")
            % {"url": connection.api_base_url},
        )
    except FactPulseError as exc:
        return ConnectionReport(False, _("La connexion a échoué : %(error)s") % {"error": exc.user_message})
    try:
        infos = tuple(
            structure_info(connection=connection, structure_id=sid, fresh=True)
            for sid in _seen_structure_ids(connection)
        )
    except FactPulseError as exc:
        return ConnectionReport(
            False,
            _(
                "Connexion à FactPulse réussie, mais Chorus Pro ne répond pas comme attendu : %(error)s "
                "Vérifiez les identifiants Chorus Pro (client FactPulse ou mode zéro confiance)."
            )
            % {"error": exc.user_message},
        )
    if not infos:
        return ConnectionReport(
            True,
            _("Connexion réussie. Aucune structure destinataire n'est encore visible pour ce compte Chorus Pro."),
        )
    return ConnectionReport(
        True,
        _("Connexion réussie : %(n)d structure(s) trouvée(s) — %(names)s.")
        % {"n": len(infos), "names": ", ".join(i.name or str(i.structure_id) for i in infos)},
        infos,
    )


def service_options(connection: Connection) -> list[tuple[str, str]] | None:
    """(code, "code — label (structure)") of every active service the connection's structures have.

    None when upstream cannot say (the admin then offers free text). Cached, failures briefly.
    """
    key = _key(connection, "service-options")
    cached = cache.get(key)
    if cached is not None:
        return cached or None
    try:
        options: dict[str, str] = {}
        for sid in _seen_structure_ids(connection):
            info = structure_info(connection=connection, structure_id=sid)
            for s in info.active_services:
                options.setdefault(s.code, f"{s.code} — {s.label} ({info.name})")
    except FactPulseError:
        cache.set(key, [], 60)
        return None
    result = sorted(options.items())
    cache.set(key, result, DIRECTORY_TTL)
    return result


def structure_info_from(connection, raw) -> StructureInfo | None:
    """The structure whose directory id a form or a link sent (`raw`), or None (unknown, or the
    directory does not answer)."""
    return structure_info_or_none(connection=connection, structure_id=int(raw)) if is_id(str(raw or "")) else None
