"""Words and links about a notice: one sentence per kind, amounts and dates in fr-FR.

Shared by the mails (absolute links, CHORUSWEB_BASE_URL) and the bell (site-relative links).
"""

from __future__ import annotations

import functools
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alerts.models import Kind, Notice
from chorusweb.models import Workspace
from chorusweb.money import format_money


def absolute(path: str) -> str:
    return settings.CHORUSWEB_BASE_URL.rstrip("/") + path


def list_path(kind: str) -> str:
    """The filtered list where the kind's invoices are."""
    if kind in (Kind.TO_VALIDATE, Kind.VALIDATION_DEADLINE):
        return reverse("validators:queue") + "?onglet=a-valider"
    if kind == Kind.LATE:
        return reverse("invoices:list") + "?onglet=toutes&delai=retard"
    if kind in (Kind.DUE_SOON, Kind.DUE_TODAY):
        return reverse("invoices:list") + "?onglet=toutes&delai=sept-jours"
    if kind in (Kind.TO_PROCESS, Kind.COMPLETED):
        return reverse("invoices:list") + "?onglet=a-traiter"
    return reverse("invoices:list") + "?onglet=toutes"


def invoice_path(notice: Notice) -> str:
    """The invoice's page (the filtered list when the invoice is not mirrored)."""
    if notice.invoice_pk is None:
        return list_path(notice.kind)
    name = "validators:detail" if notice.workspace == Workspace.VALIDATION else "invoices:detail"
    before, after = _detail_pattern(name)
    return f"{before}{notice.invoice_pk}{after}"


@functools.cache
def _detail_pattern(name: str) -> tuple[str, str]:
    """The detail URL around its id, reversed once (a mail lists many invoices)."""
    marker = 987654321
    before, after = reverse(name, args=[marker]).split(str(marker))
    return before, after


def money(value: str, currency: str = "EUR") -> str:
    if not value:
        return ""
    with translation.override("fr"):  # amounts in fr-FR in every mail
        return format_money(Decimal(value), currency)


def day(value: str) -> str:
    parsed = parse_date(value) if value else None
    return parsed.strftime("%d/%m/%Y") if parsed else ""


def notice_line(notice: Notice, today: date | None = None) -> str:
    """One sentence about the notice's invoice, in the active language."""
    d = notice.data
    today = today or timezone.localdate()
    head = " — ".join(
        p for p in (d.get("number"), d.get("supplier"), money(d.get("amount", ""), d.get("currency"))) if p
    )
    kind = notice.kind
    if kind == Kind.LATE:
        text = _("échue le %(due)s, %(days)d j de retard") % {"due": day(d.get("due")), "days": d.get("days_late", 0)}
        if d.get("interest"):
            text += ", " + _("intérêts moratoires estimés %(interest)s") % {"interest": money(d["interest"])}
        if d.get("per_day"):
            text += " " + _("(+%(amount)s par jour)") % {"amount": money(d["per_day"])}
    elif kind == Kind.DUE_TODAY:
        text = _("échéance de paiement aujourd'hui (%(due)s)") % {"due": day(d.get("due"))}
    elif kind == Kind.DUE_SOON:
        due = parse_date(d.get("due") or "")
        left = (due - today).days if due else 0
        text = ngettext(
            "échéance de paiement le %(due)s (dans %(n)d jour)",
            "échéance de paiement le %(due)s (dans %(n)d jours)",
            left,
        ) % {"due": day(d.get("due")), "n": left}
    elif kind == Kind.COMPLETED:
        text = _("complétée par le fournisseur le %(day)s : le délai de paiement repart") % {
            "day": day(d.get("completed"))
        }
    elif kind == Kind.TO_PROCESS:
        text = _("déposée le %(day)s, à traiter") % {"day": day(d.get("deposit"))}
    elif kind == Kind.TO_VALIDATE:
        text = _("à valider au plus tard le %(day)s") % {"day": day(d.get("deadline"))}
    elif kind == Kind.VALIDATION_DEADLINE:
        deadline = parse_date(d.get("deadline") or "")
        left = (deadline - today).days if deadline else 0
        text = ngettext(
            "validation tacite après le %(day)s (dans %(n)d jour)",
            "validation tacite après le %(day)s (dans %(n)d jours)",
            left,
        ) % {"day": day(d.get("deadline")), "n": left}
    else:
        text = _("%(action)s : %(outcome)s") % {"action": d.get("action", ""), "outcome": d.get("outcome", "")}
    return f"{head} : {text}" if head else text


def count_phrase(kind: str, n: int) -> str:
    phrases = {
        Kind.LATE: ngettext("%(n)d facture en retard", "%(n)d factures en retard", n),
        Kind.DUE_TODAY: ngettext("%(n)d échéance aujourd'hui", "%(n)d échéances aujourd'hui", n),
        Kind.ACTION_PROBLEM: ngettext("%(n)d action à vérifier", "%(n)d actions à vérifier", n),
        Kind.VALIDATION_DEADLINE: ngettext("%(n)d validation urgente", "%(n)d validations urgentes", n),
        Kind.COMPLETED: ngettext("%(n)d facture complétée", "%(n)d factures complétées", n),
        Kind.DUE_SOON: ngettext("%(n)d échéance proche", "%(n)d échéances proches", n),
        Kind.TO_VALIDATE: ngettext("%(n)d à valider", "%(n)d à valider", n),
        Kind.TO_PROCESS: ngettext("%(n)d à traiter", "%(n)d à traiter", n),
    }
    return phrases[kind] % {"n": n}
