"""The CSV export of the received invoices list: every row of the current view, French format."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import date

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from chorusweb import payment_delay
from chorusweb.exports import csv_row
from chorusweb.money import plain_amount
from invoices.models import ReceivedInvoice


class _Echo:
    """A file-like object whose `write` returns the line: csv.writer then yields strings."""

    def write(self, value: str) -> str:
        return value


def _header() -> list[str]:
    return [
        _("Numéro"),
        _("Type"),
        _("Fournisseur"),
        _("SIRET / identifiant"),
        _("Destinataire"),
        _("Code service"),
        _("Date de facture"),
        _("Date de dépôt"),
        _("Statut"),
        _("Statut depuis"),
        _("Montant HT"),
        _("Montant TTC"),
        _("Devise"),
        _("Téléchargée"),
        _("Id Chorus Pro"),
        _("Délai"),
        _("Début du délai"),
        _("Origine du début"),
        _("Échéance"),
        _("Échéance de l'ordonnateur"),
        _("Jours de retard"),
        _("Payée en (jours)"),
        _("Intérêts moratoires estimés"),
        _("Taux à confirmer"),
    ]


def _date(value) -> str:
    return formats.date_format(value, "d/m/Y") if value else ""


def _row(inv: ReceivedInvoice, today: date) -> list:
    return [
        inv.invoice_number,
        inv.invoice_type,
        inv.supplier_name,
        inv.supplier_code,
        inv.recipient_name,
        inv.service_code,
        _date(inv.invoice_date),
        _date(inv.deposit_date),
        inv.status_label,
        formats.date_format(timezone.localtime(inv.status_changed_at), "d/m/Y H:i") if inv.status_changed_at else "",
        # Signed, as in the list: a column's sum in the spreadsheet is the list's net total.
        plain_amount(inv.net_excl_tax),
        plain_amount(inv.net_incl_tax),
        inv.currency,
        _("oui") if inv.downloaded else _("non"),
        inv.invoice_id,
        # the payment-delay clock
        payment_delay.short_label(
            state=inv.clock_state,
            due=inv.clock_due,
            today=today,
            paid_in=inv.clock_paid_in,
            days_late=inv.clock_days_late,
        ),
        _date(inv.clock_start),
        inv.get_clock_start_origin_display() if inv.clock_start_origin else "",
        _date(inv.clock_due),
        _date(inv.clock_ordonnateur_due),
        inv.clock_days_late or "",
        "" if inv.clock_paid_in is None else inv.clock_paid_in,
        plain_amount(inv.clock_interest),
        _("oui") if inv.clock_rate_to_confirm else "",
    ]


def invoices_csv_lines(rows: Iterable[ReceivedInvoice]) -> Iterator[str]:
    """The CSV lines (`;`-separated, with a BOM so that spreadsheets read UTF-8), lazily."""
    writer = csv.writer(_Echo(), delimiter=";")
    yield "\ufeff" + writer.writerow(csv_row(_header()))
    today = timezone.localdate()
    for inv in rows:
        yield writer.writerow(csv_row(_row(inv, today)))


def export_filename() -> str:
    return f"factures-recues-{timezone.localtime().strftime('%Y%m%d-%H%M')}.csv"
