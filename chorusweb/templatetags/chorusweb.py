"""Template filters shared by every page: status badges, money and dates in the active locale."""

from __future__ import annotations

from django import template
from django.utils import formats

from chorusweb import lifecycle as lc
from chorusweb.money import format_money

register = template.Library()

STATUS_CLASSES = {
    lc.MISE_A_DISPOSITION: "todo",
    lc.COMPLETEE: "todo",
    lc.A_VALIDER_1: "todo",
    lc.A_VALIDER_2: "todo",
    lc.SERVICE_FAIT: "done",
    lc.MANDATEE: "done",
    lc.MISE_A_DISPOSITION_COMPTABLE: "done",
    lc.COMPTABILISEE: "done",
    lc.VALIDEE_1: "done",
    lc.VALIDEE_2: "done",
    lc.MISE_EN_PAIEMENT: "final",
    lc.SUSPENDUE: "waiting",
    lc.A_RECYCLER: "waiting",
    lc.REJETEE: "danger",
    lc.REFUSEE_1: "danger",
    lc.REFUSEE_2: "danger",
}


@register.filter
def status_class(code: str) -> str:
    return STATUS_CLASSES.get(lc.normalise_status(code), "final")


@register.filter
def status_label(code: str) -> str:
    return lc.status_label(code)


@register.filter
def status_anchor(code: str) -> str:
    """The anchor of a status in the glossary page (/aide/statuts/#statut-CODE)."""
    return lc.status_anchor(code)


@register.filter
def status_help(code: str) -> lc.StatusHelp:
    return lc.status_help(code)


@register.filter
def money(value, currency: str = "EUR") -> str:
    """`1 234,56 €` in French, `€1,234.56` in English; empty for no amount."""
    return format_money(value, currency)


@register.filter
def grouped(value) -> str:
    """A count with its digits grouped the local way (`10 000`, `10,000`): for reading, never for ids."""
    return formats.number_format(value, 0, use_l10n=True, force_grouping=True)
