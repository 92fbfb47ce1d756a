"""The rows of the received list, written in Python.

Fifty rows of eleven cells cost the template engine about a thousand variable lookups and
filter calls: more than the rest of the page and its queries together (`make bench`, list
partial at 100,000 invoices: 20 ms with the rows in the template). Here each row is one
`str.format` of escaped values, and what repeats from row to row (labels, dates, statuses, the
clock's title) is escaped and worked out once per page. The markup is the one the list's
template used; every value from the mirror goes through `html.escape`, as `{{ }}` would.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from html import escape

from django.urls import reverse
from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from chorusweb import lifecycle as lc
from chorusweb.money import CREDIT_NOTE, format_money
from chorusweb.templatetags.chorusweb import status_class

ROW = (
    "<tr>"
    '<td><input type="checkbox" name="ids" value="{id}"{checked} aria-label="{select}"></td>'
    '<td class="card-title" data-label="{l_number}"><a href="{url}">{number}</a>{credit}</td>'
    '<td data-label="{l_supplier}">{supplier}<br><span class="muted">{supplier_code}</span></td>'
    '<td data-label="{l_recipient}">{recipient}<br><span class="muted">{service}{service_name}</span></td>'
    '<td class="nowrap" data-label="{l_date}">{invoice_date}</td>'
    '<td class="nowrap" data-label="{l_deposit}">{deposit_date}</td>'
    '<td data-label="{l_status}"><a class="badge badge--{status_class}" href="{glossary}#{anchor}">{status}</a></td>'
    '<td class="num" data-label="{l_ht}">{ht}</td>'
    '<td class="num" data-label="{l_ttc}">{ttc}</td>'
    '<td class="nowrap" data-label="{l_clock}">{clock}</td>'
    '<td data-label="{l_downloaded}">{downloaded}</td>'
    "</tr>\n"
)


class _Page:
    """What repeats from row to row, worked out once for the page (in the active language)."""

    def __init__(self) -> None:
        labels = {
            "l_number": _("Numéro"),
            "l_supplier": _("Fournisseur"),
            "l_recipient": _("Destinataire"),
            "l_date": _("Date"),
            "l_deposit": _("Dépôt"),
            "l_status": _("Statut"),
            "l_ht": _("HT"),
            "l_ttc": _("TTC"),
            "l_clock": _("Délai"),
            "l_downloaded": _("Téléchargée"),
            "glossary": reverse("status_glossary"),
        }
        self.labels = {key: escape(value) for key, value in labels.items()}
        self.credit = format_html(' <span class="badge badge--final">{}</span>', _("Avoir"))
        self.yes = escape(_("oui"))
        self.no = format_html('<span class="muted">{}</span>', _("non"))
        self.none = mark_safe('<span class="muted">—</span>')
        self.due = escape(_("Échéance"))
        # the detail URL of a pk: reverse once, then replace the pk
        self.url = reverse("invoices:detail", args=[987654321]).replace("987654321", "{}")
        self.dates: dict[date, str] = {}
        self.statuses: dict[str, tuple[str, str, str]] = {}
        self.select = _("Sélectionner la facture %(n)s")

    def date(self, value: date | None) -> str:
        """A date the local short way, escaped (a page holds a few distinct days)."""
        if value is None:
            return ""
        text = self.dates.get(value)
        if text is None:
            text = self.dates[value] = escape(formats.date_format(value, "SHORT_DATE_FORMAT"))
        return text

    def status(self, code: str) -> tuple[str, str, str]:
        found = self.statuses.get(code)
        if found is None:
            found = self.statuses[code] = tuple(
                escape(part) for part in (status_class(code), lc.status_anchor(code), lc.status_label(code))
            )
        return found

    def clock(self, row: dict) -> str:
        label = row.get("clock_label")
        if not label:
            return self.none
        severity = escape(row["clock_severity"])
        if row.get("clock_due"):
            title = f"{self.due} {self.date(row['clock_due'])}"
            return f'<span class="clock clock--{severity}" title="{title}">{escape(label)}</span>'
        return f'<span class="clock clock--{severity}">{escape(label)}</span>'


def _text(value) -> str:
    return "" if value is None else escape(str(value))


def rows_html(rows: Iterable[dict], *, selected) -> SafeString:
    """The `<tr>` of each row (dicts of the list's fields), checked when in `selected`."""
    page = _Page()
    out = []
    for row in rows:
        status_css, anchor, status = page.status(row["status"])
        currency = row["currency"]
        number = row["invoice_number"] or row["invoice_id"]
        out.append(
            ROW.format(
                id=int(row["id"]),
                checked=" checked" if row["id"] in selected else "",
                select=escape(page.select % {"n": row["invoice_number"]}),
                url=page.url.format(int(row["id"])),
                number=_text(number),
                credit=page.credit if row["invoice_type"] == CREDIT_NOTE else "",
                supplier=_text(row["supplier_name"]),
                supplier_code=_text(row["supplier_code"]),
                recipient=_text(row["recipient_name"] or row["recipient_code"] or "—"),
                service=_text(row["service_code"] or "—"),
                service_name=f" {escape(row['service_name'])}" if row["service_name"] else "",
                invoice_date=page.date(row["invoice_date"]),
                deposit_date=page.date(row["deposit_date"]),
                status_class=status_css,
                anchor=anchor,
                status=status,
                ht=_text(format_money(row["net_excl_tax"], currency)),
                ttc=_text(format_money(row["net_incl_tax"], currency)),
                clock=page.clock(row),
                downloaded=page.yes if row["downloaded"] else page.no,
                **page.labels,
            )
        )
    return mark_safe("".join(out))  # noqa: S308 (every value escaped above)
