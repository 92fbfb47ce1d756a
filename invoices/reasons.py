"""Reasons of suspensions and rejections, grouped from their free text: rules as data.

A status comment is free text ("Pièces manquantes : bon de commande, RIB."). The dashboard
counts invoices per *kind* of reason and the list filters on the same kind, so both read the
one table below through `reason_q()`: a reason matches a kind when its text contains one of
the kind's keywords (case-insensitive; keywords carry no accent, so that SQLite's ASCII-only
case folding and PostgreSQL's agree). One text may match several kinds (a suspension for a
purchase order and a RIB counts under both); "autre" is the text that matches none.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ReasonKind:
    slug: str
    label: str
    keywords: tuple[str, ...]


REASON_KINDS: tuple[ReasonKind, ...] = (
    ReasonKind("commande", _("Bon de commande ou engagement"), ("commande", "engagement")),
    ReasonKind("service-fait", _("Service fait non attesté"), ("service fait", "livraison", "livre")),
    ReasonKind("rib", _("Coordonnées bancaires (RIB)"), ("rib", "iban", "bancaire")),
    ReasonKind("justificatifs", _("Pièces justificatives"), ("justificati", "annexe", "jointe")),
    ReasonKind("montant", _("Montant, prix ou TVA"), ("montant", "prix", "tva", "quantit")),
    ReasonKind("doublon", _("Doublon"), ("doublon", "double")),
    ReasonKind("destinataire", _("Destinataire ou service"), ("destinataire", "siret", "service inconnu")),
)
OTHER = ReasonKind("autre", _("Autre motif"), ())
REASON_CHOICES = [(k.slug, k.label) for k in (*REASON_KINDS, OTHER)]
_BY_SLUG = {k.slug: k for k in (*REASON_KINDS, OTHER)}


def reason_kinds() -> tuple[ReasonKind, ...]:
    """Every kind, "autre" last."""
    return (*REASON_KINDS, OTHER)


def _any_keyword(kind: ReasonKind, field: str) -> Q:
    q = Q(pk__in=[])
    for word in kind.keywords:
        q |= Q(**{f"{field}__icontains": word})
    return q


def reason_q(slug: str, *, field: str = "status_comment") -> Q:
    """The rows whose reason (in `field`) is of kind `slug`; an unknown slug matches nothing."""
    kind = _BY_SLUG.get(slug)
    if kind is None:
        return Q(pk__in=[])
    if kind is OTHER:
        known = Q(pk__in=[])
        for other in REASON_KINDS:
            known |= _any_keyword(other, field)
        return ~known
    return _any_keyword(kind, field)


def reason_label(slug: str) -> str:
    kind = _BY_SLUG.get(slug)
    return str(kind.label) if kind else slug
